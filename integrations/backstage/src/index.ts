export { createPavedNewAction, PAVED_NEW_ACTION_ID, type PavedApi, type PavedNewActionOptions } from "./action.js";
export { scaffolderModulePaved as default } from "./module.js";
export {
  defaultEntityRef,
  fleetReportFacts,
  pavedFactRetriever,
  pavedFactSchema,
  type EntityRef,
  type FleetRow,
  type PavedFacts,
  type PavedFactRetrieverOptions,
} from "./tech-insights.js";
