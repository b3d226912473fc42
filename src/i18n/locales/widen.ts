/** A catalog's shape with every text widened to `string`: what a translation must fill in. */
export type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };
