export { createPavedNewAction, PAVED_NEW_ACTION_ID, type PavedApi, type PavedNewActionOptions } from "./action.js";
export { scaffolderModulePaved as default } from "./module.js";
