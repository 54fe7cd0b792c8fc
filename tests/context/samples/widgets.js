import { render } from "./dom.js";

/** Default widget width. */
export const WIDTH = 80;

/** Draws a widget into a node. */
export function draw(node, widget) {
  const html = render(widget); // BODY_MARKER
  node.innerHTML = html;
  return node;
}

/** A clickable button. */
export class Button {
  constructor(label) {
    this.label = label; // BODY_MARKER
  }
  /** Handles a click. */
  click(event) {
    console.log("clicked", event); // BODY_MARKER
  }
}

export const makeButton = (label) => new Button(label);
