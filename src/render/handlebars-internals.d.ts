// Handlebars' whitespace pass (standalone lines, `~`), which its parser applies; not in its public types.
declare module "handlebars/dist/cjs/handlebars/compiler/whitespace-control.js" {
  export default class WhitespaceControl {
    constructor(options?: { ignoreStandalone?: boolean });
    accept(node: unknown): unknown;
  }
}
