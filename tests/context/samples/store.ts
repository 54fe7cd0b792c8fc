import { z } from "zod";

/** A user of the store. */
export interface User {
  id: string;
  name: string;
}

export type Id = string | number;

export enum Role { Admin, Member }

/** Greets a user by name. */
export function greet(user: User): string {
  const s = "}}}} BODY_MARKER {{{";
  return `hello ${user.name} ${s}`;
}

/** Keeps users in memory. */
export class Store {
  private items: User[] = [];
  /** Adds one user. */
  add(user: User): void {
    this.items.push(user); // BODY_MARKER
  }
  get size(): number {
    return this.items.length; // BODY_MARKER
  }
}

export const VERSION = "1.0";
const internal = () => 1; // BODY_MARKER
