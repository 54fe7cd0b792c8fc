import React from "react";

/** Props of the panel. */
export interface PanelProps {
  title: string;
  open: boolean;
}

/** A collapsible panel. */
export function Panel({ title, open }: PanelProps) {
  const body = open ? <div className="body">BODY_MARKER</div> : null;
  return (
    <section>
      <h2>{title}</h2>
      {body}
    </section>
  );
}

/** Tracks which panels are open. */
export class PanelStore {
  private open = new Set<string>();
  /** Opens one panel. */
  toggle(id: string): void {
    this.open.add(id); // BODY_MARKER
  }
}
