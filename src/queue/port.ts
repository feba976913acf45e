// The queue port: where the intake puts a verified delivery and where workers take it from. Two implementations:
// SQS in Lambda (the `worker` function is invoked with its records), and work items in the DynamoDB table for
// `npm start` (a lease per item, taken by the worker loop of the process, taken over when a process died).
import type { QueueMessage } from './message.js';

export interface DeliveryQueue {
  /** Puts the message on the queue; throws when the queue did not take it (the intake then answers 500). */
  enqueue(message: QueueMessage): Promise<void>;
}

/** A message taken from a work queue, held under a lease until completed or given back. */
export interface WorkItem {
  /** The delivery id. */
  id: string;
  message: QueueMessage;
  /** How many times the item was taken, this time included. */
  attempts: number;
  /** True when a previous holder's lease ran out before it finished (it crashed or hung). */
  takenOver: boolean;
  /** Identifies this hold of the item: only its holder completes, renews or gives it back. */
  lease: string;
}

export interface WorkQueue extends DeliveryQueue {
  /**
   * Puts the message on the queue already held by the caller, as `take` would hand it over: a worker with a free
   * slot takes a delivery on arrival without looking for it. Undefined when the delivery was queued before.
   */
  enqueueHeld(message: QueueMessage): Promise<WorkItem | undefined>;
  /** Up to `max` items ready now, oldest first, each leased to the caller. */
  take(max: number): Promise<WorkItem[]>;
  /** Keeps holding an item still being worked on. */
  renew(item: WorkItem): Promise<void>;
  /** The item is done: it leaves the queue. */
  complete(item: WorkItem): Promise<void>;
  /** The item failed (or must wait): it is taken again after `delayMs`, or kept aside after too many attempts. */
  giveBack(item: WorkItem, delayMs: number, countAttempt?: boolean): Promise<'retried' | 'dead'>;
  /** The item can never succeed (unreadable): kept aside for a person at once. */
  setAside(item: WorkItem): Promise<void>;
}
