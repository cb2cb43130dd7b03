/** Links a node carries to sit in one LinkedList at a time. */
export interface Linked<T extends Linked<T>> {
  prev: T | null;
  next: T | null;
  list: LinkedList<T> | null;
}

/**
 * Doubly-linked list threaded through its nodes: O(1) append, remove and oldest, with no
 * allocation per entry and no map re-insertion (which in V8 leaves holes that force periodic
 * rehashing of the whole table). Callers append a node whenever it is touched and time never
 * moves backwards in LiveState, so each list is ordered by last touch, oldest at the head.
 */
export class LinkedList<T extends Linked<T>> {
  head: T | null = null;
  private tail: T | null = null;

  append(node: T): void {
    node.prev = this.tail;
    node.next = null;
    node.list = this;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
  }

  /** Unlinks a node of this list; a node of another list (or none) is left alone. */
  remove(node: T): void {
    if (node.list !== this) return;
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    node.list = null;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let node = this.head; node !== null; node = node.next) yield node;
  }
}
