import { coreServices, createBackendModule } from "@backstage/backend-plugin-api";
import { scaffolderActionsExtensionPoint } from "@backstage/plugin-scaffolder-node";
import { createPavedNewAction } from "./action.js";

/**
 * Adds the `paved:new` action to the scaffolder (new backend system):
 * `backend.add(import("@paved/backstage-plugin-scaffolder-backend-module-paved"))`.
 * Optional app-config: `paved.source` (the template source a step uses when it names none) and
 * `paved.trustedSources` (sources whose lockfile command may run here; the built-in templates always may).
 */
export const scaffolderModulePaved = createBackendModule({
  pluginId: "scaffolder",
  moduleId: "paved",
  register({ registerInit }) {
    registerInit({
      deps: { scaffolderActions: scaffolderActionsExtensionPoint, config: coreServices.rootConfig },
      async init({ scaffolderActions, config }) {
        const defaultSource = config.getOptionalString("paved.source");
        const trustedSources = config.getOptionalStringArray("paved.trustedSources") ?? [];
        scaffolderActions.addActions(createPavedNewAction({ ...(defaultSource !== undefined ? { defaultSource } : {}), trustedSources }));
      },
    });
  },
});
