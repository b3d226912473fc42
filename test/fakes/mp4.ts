/**
 * Tiny ISO-BMFF (MP4) builder and reader for tests.
 *
 * makeMp4() produces a structurally valid (not playable) file:
 *   ftyp(isom; isom,iso2,avc1,mp41)
 *   moov{ mvhd(v0, timescale 1000), trak{ tkhd(v0, flags 3), mdia{ mdhd, hdlr(vide),
 *         minf{ vmhd, dinf{dref{url }}, stbl{stsd,stts,stsc,stsz,stco (all empty)} } } } }
 *   mdat(deterministic filler seeded by the params)
 * readMp4Info() walks the boxes (checking every size) and returns duration and frame size.
 */

export interface Mp4Params {
  width: number;
  height: number;
  durationSec: number;
  /** Media (mdhd) timescale; the movie (mvhd) timescale is always 1000. Default 12288. */
  timescale?: number;
  /** Grow mdat so that the whole file is exactly this many bytes (when larger than the natural size). */
  padToBytes?: number;
}

export interface Mp4Info {
  durationSec: number;
  width: number;
  height: number;
  majorBrand: string;
}

const MOVIE_TIMESCALE = 1000;
const UNITY_MATRIX = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];

function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

function u16(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v & 0xffff, i * 2));
  return b;
}

function box(type: string, ...parts: Buffer[]): Buffer {
  if (type.length !== 4) throw new Error(`bad box type ${type}`);
  const size = 8 + parts.reduce((n, p) => n + p.length, 0);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(size, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, ...parts], size);
}

function fullBox(type: string, version: number, flags: number, ...parts: Buffer[]): Buffer {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...parts);
}

/** FNV-1a over a string: the seed for the filler. */
function hashSeed(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h || 1;
}

/** Deterministic filler: xorshift32 for the first 64 KiB, then repeated. */
function filler(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const blockLen = Math.min(length, 64 * 1024);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < blockLen; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  if (length > blockLen) out.fill(out.subarray(0, blockLen), blockLen);
  return out;
}

export function makeMp4(params: Mp4Params): Buffer {
  const { width, height, durationSec } = params;
  const mediaTimescale = params.timescale ?? 12288;
  if (!(width > 0 && height > 0 && durationSec >= 0 && mediaTimescale > 0)) {
    throw new Error(`makeMp4: invalid params ${JSON.stringify(params)}`);
  }
  const movieDuration = Math.round(durationSec * MOVIE_TIMESCALE);
  const mediaDuration = Math.round(durationSec * mediaTimescale);

  const ftyp = box("ftyp", Buffer.from("isom", "latin1"), u32(0x200), Buffer.from("isomiso2avc1mp41", "latin1"));

  const mvhd = fullBox(
    "mvhd", 0, 0,
    u32(0, 0, MOVIE_TIMESCALE, movieDuration, 0x00010000), // creation, modification, timescale, duration, rate 1.0
    u16(0x0100, 0), // volume 1.0, reserved
    u32(0, 0), // reserved
    u32(...UNITY_MATRIX),
    u32(0, 0, 0, 0, 0, 0), // pre_defined
    u32(2), // next_track_ID
  );
  const tkhd = fullBox(
    "tkhd", 0, 3, // enabled | in_movie
    u32(0, 0, 1, 0, movieDuration), // creation, modification, track_ID, reserved, duration
    u32(0, 0), // reserved
    u16(0, 0, 0, 0), // layer, alternate_group, volume (0 for video), reserved
    u32(...UNITY_MATRIX),
    u32(Math.round(width * 65536), Math.round(height * 65536)), // 16.16 fixed point
  );
  const mdhd = fullBox("mdhd", 0, 0, u32(0, 0, mediaTimescale, mediaDuration), u16(0x55c4, 0)); // language "und"
  const hdlr = fullBox("hdlr", 0, 0, u32(0), Buffer.from("vide", "latin1"), u32(0, 0, 0), Buffer.from("VideoHandler\0", "latin1"));
  const minf = box(
    "minf",
    fullBox("vmhd", 0, 1, u16(0, 0, 0, 0)),
    box("dinf", fullBox("dref", 0, 0, u32(1), fullBox("url ", 0, 1))),
    box(
      "stbl",
      fullBox("stsd", 0, 0, u32(0)),
      fullBox("stts", 0, 0, u32(0)),
      fullBox("stsc", 0, 0, u32(0)),
      fullBox("stsz", 0, 0, u32(0, 0)),
      fullBox("stco", 0, 0, u32(0)),
    ),
  );
  const moov = box("moov", mvhd, box("trak", tkhd, box("mdia", mdhd, hdlr, minf)));

  const seed = hashSeed(`${width}x${height}@${durationSec}/${mediaTimescale}`);
  let payloadLen = 256 + (seed % 256);
  const natural = ftyp.length + moov.length + 8 + payloadLen;
  if (params.padToBytes !== undefined && params.padToBytes > natural) {
    payloadLen += params.padToBytes - natural;
  }
  if (8 + payloadLen > 0xffffffff) throw new Error("makeMp4: padToBytes too large");
  const mdat = box("mdat", filler(seed, payloadLen));
  return Buffer.concat([ftyp, moov, mdat]);
}

interface BoxRef {
  type: string;
  /** offset of the payload (after the header) */
  start: number;
  /** offset just past the box */
  end: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<BoxRef> {
  let off = from;
  while (off < to) {
    if (to - off < 8) throw new Error(`mp4: truncated box header at ${off}`);
    let size = buf.readUInt32BE(off);
    const type = buf.toString("latin1", off + 4, off + 8);
    let header = 8;
    if (size === 1) {
      if (to - off < 16) throw new Error(`mp4: truncated largesize at ${off}`);
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = to - off;
    }
    if (size < header || off + size > to) {
      throw new Error(`mp4: box '${type}' at ${off} has bad size ${size} (container ends at ${to})`);
    }
    yield { type, start: off + header, end: off + size };
    off += size;
  }
}

function child(buf: Buffer, parent: BoxRef, type: string): BoxRef | undefined {
  for (const b of boxes(buf, parent.start, parent.end)) if (b.type === type) return b;
  return undefined;
}

/** Parses what makeMp4 writes (and the same boxes of ordinary MP4 files). Throws on malformed input. */
export function readMp4Info(buf: Buffer): Mp4Info {
  const top = [...boxes(buf, 0, buf.length)];
  const ftyp = top[0];
  if (!ftyp || ftyp.type !== "ftyp") throw new Error("mp4: first box is not ftyp");
  const majorBrand = buf.toString("latin1", ftyp.start, ftyp.start + 4);
  const moov = top.find((b) => b.type === "moov");
  if (!moov) throw new Error("mp4: no moov box");
  const mvhd = child(buf, moov, "mvhd");
  if (!mvhd) throw new Error("mp4: no mvhd box");
  const mvVersion = buf.readUInt8(mvhd.start);
  const timescale = mvVersion === 1 ? buf.readUInt32BE(mvhd.start + 20) : buf.readUInt32BE(mvhd.start + 12);
  const duration = mvVersion === 1 ? Number(buf.readBigUInt64BE(mvhd.start + 24)) : buf.readUInt32BE(mvhd.start + 16);
  let width = 0;
  let height = 0;
  for (const trak of boxes(buf, moov.start, moov.end)) {
    if (trak.type !== "trak") continue;
    const tkhd = child(buf, trak, "tkhd");
    if (!tkhd) continue;
    const sizeOff = tkhd.start + (buf.readUInt8(tkhd.start) === 1 ? 88 : 76);
    const w = buf.readUInt32BE(sizeOff) / 65536;
    const h = buf.readUInt32BE(sizeOff + 4) / 65536;
    if (w > 0 && h > 0) {
      width = w;
      height = h;
      break;
    }
  }
  if (!width) throw new Error("mp4: no track with a frame size");
  return { durationSec: duration / timescale, width, height, majorBrand };
}
