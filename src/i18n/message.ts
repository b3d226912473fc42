/**
 * A user-facing text before it is put in words: a catalog key and its values (a value may be
 * a Message itself, put in the same words). Code that decides what to say (a refusal, a job's
 * failure) makes one; whoever shows it renders it in the reader's language.
 */
export interface Message {
  key: string;
  vars?: Record<string, MessageValue>;
}

/** An amount of US dollars, written as the reader's locale writes money. */
export interface Money {
  micros: number;
}

export type MessageValue = string | number | Message | Money;

export const usd = (micros: number): Money => ({ micros });

export const isMoney = (v: unknown): v is Money => typeof v === "object" && v !== null && typeof (v as Money).micros === "number";

export const msg = (key: string, vars?: Record<string, MessageValue>): Message => (vars ? { key, vars } : { key });

export const isMessage = (v: unknown): v is Message => typeof v === "object" && v !== null && typeof (v as Message).key === "string";

/** An error whose text is a Message, shown to the member in their language. */
export class LocalizedError extends Error {
  constructor(readonly text: Message) {
    super(text.key);
  }
}
