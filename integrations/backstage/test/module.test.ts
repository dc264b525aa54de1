import { mockServices, startTestBackend } from "@backstage/backend-test-utils";
import { scaffolderActionsExtensionPoint } from "@backstage/plugin-scaffolder-node";
import { describe, expect, it, vi } from "vitest";

vi.stubGlobal("jest", vi);

describe("the backend module", () => {
  it("adds paved:new to the scaffolder (reading the optional paved.source from app-config)", async () => {
    const added: Array<{ id: string }> = [];
    const backend = await startTestBackend({
      extensionPoints: [
        [scaffolderActionsExtensionPoint, { addActions: (...actions: Array<{ id: string }>) => void added.push(...actions) }],
      ],
      features: [
        import("../src/index.js"),
        mockServices.rootConfig.factory({ data: { paved: { source: "https://git.example.com/platform/templates.git" } } }),
      ],
    });
    try {
      expect(added.map((a) => a.id)).toEqual(["paved:new"]);
    } finally {
      await backend.stop();
    }
  });
});
