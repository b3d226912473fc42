/**
 * Reads a video's length and frame size from its MP4 boxes (moov/mvhd and the video
 * track's tkhd), enough to charge for the video that was actually delivered.
 */
export interface Mp4Info {
  durationSec: number;
  width: number;
  height: number;
}

interface Box {
  type: string;
  start: number; // first byte of the payload
  end: number;
}

function* boxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = to - at;
    }
    if (size < header || at + size > to) return;
    yield { type, start: at + header, end: at + size };
    at += size;
  }
}

const child = (buf: Buffer, parent: Box, type: string) => [...boxes(buf, parent.start, parent.end)].find((b) => b.type === type);

export function readMp4Info(buf: Buffer): Mp4Info | null {
  const moov = [...boxes(buf, 0, buf.length)].find((b) => b.type === "moov");
  if (!moov) return null;
  const mvhd = child(buf, moov, "mvhd");
  if (!mvhd) return null;
  const v1 = buf[mvhd.start] === 1;
  const timescale = buf.readUInt32BE(mvhd.start + (v1 ? 20 : 12));
  const duration = v1 ? Number(buf.readBigUInt64BE(mvhd.start + 24)) : buf.readUInt32BE(mvhd.start + 16);
  if (!timescale) return null;
  let width = 0;
  let height = 0;
  for (const trak of boxes(buf, moov.start, moov.end)) {
    if (trak.type !== "trak") continue;
    const tkhd = child(buf, trak, "tkhd");
    if (!tkhd) continue;
    // width and height are 16.16 fixed point, the last 8 bytes of tkhd
    const w = buf.readUInt32BE(tkhd.end - 8) / 65536;
    const h = buf.readUInt32BE(tkhd.end - 4) / 65536;
    if (w * h > width * height) {
      width = Math.round(w);
      height = Math.round(h);
    }
  }
  if (!width || !height) return null;
  return { durationSec: duration / timescale, width, height };
}
