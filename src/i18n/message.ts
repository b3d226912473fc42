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
  /** How it is put in cents (nearest unless said). */
  rounding?: Rounding;
  /** Up to four decimals (a price per second), rounded up there. */
  fine?: boolean;
}

/**
 * How an amount is put in cents: what a member may pay (a price, a hold, a charge) up, so it is
 * never shown below what it is; what is left down, so a refusal never reads "costs $1.53, you
 * have $1.53".
 */
export type Rounding = "up" | "down" | "nearest";

/** Integer micro-dollars to whole cents, rounded as asked. */
export function toCents(micros: number, rounding: Rounding = "nearest"): number {
  if (rounding === "up") return Math.ceil(micros / 10_000);
  if (rounding === "down") return Math.floor(micros / 10_000);
  return Math.round(micros / 10_000);
}

/** Several values joined as the reader's language joins a list ("a, b and c", "a, b y c"). */
export interface ListValue {
  items: MessageValue[];
}

/** A number with a fixed count of decimals, written as the reader's language writes it ("31.5", "31,5"). */
export interface DecimalValue {
  decimal: number;
  digits: number;
}

export type MessageValue = string | number | Message | Money | ListValue | DecimalValue;

export const decimal = (value: number, digits: number): DecimalValue => ({ decimal: value, digits });

export const isDecimal = (v: unknown): v is DecimalValue => typeof v === "object" && v !== null && typeof (v as DecimalValue).decimal === "number";

export const listOf = (items: MessageValue[]): ListValue => ({ items });

export const isList = (v: unknown): v is ListValue => typeof v === "object" && v !== null && Array.isArray((v as ListValue).items);

export const usd = (micros: number): Money => ({ micros });
/** A price, hold or charge: never shown below what it is. */
export const usdUp = (micros: number): Money => ({ micros, rounding: "up" });
/** What is left: never shown above what it is. */
export const usdDown = (micros: number): Money => ({ micros, rounding: "down" });
/** A small unit price ("$0.3024"): to a hundredth of a cent, rounded up. */
export const usdFine = (micros: number): Money => ({ micros, rounding: "up", fine: true });

export const isMoney = (v: unknown): v is Money => typeof v === "object" && v !== null && typeof (v as Money).micros === "number";

export const msg = (key: string, vars?: Record<string, MessageValue>): Message => (vars ? { key, vars } : { key });

export const isMessage = (v: unknown): v is Message => typeof v === "object" && v !== null && typeof (v as Message).key === "string";

/** An error whose text is a Message, shown to the member in their language. */
export class LocalizedError extends Error {
  constructor(readonly text: Message) {
    super(text.key);
  }
}
