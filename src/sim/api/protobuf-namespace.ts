// kubectl sends built-in kinds as protobuf (`kubectl create namespace` posts a Namespace that way) and
// does not fall back to JSON when a server refuses it. The embedded cluster serves no other built-in
// kind, so this reads just that: the `k8s\0` envelope (runtime.Unknown: 1 typeMeta, 2 raw), the
// Namespace inside (1 metadata) and the ObjectMeta fields a namespace create uses (1 name,
// 2 generateName, 11 labels, 12 annotations). Field numbers from k8s.io/api/core/v1/generated.proto
// and k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto.

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export function isKubernetesProtobuf(body: Buffer): boolean {
  return body.length >= MAGIC.length && body.subarray(0, MAGIC.length).equals(MAGIC);
}

export interface DecodedNamespace {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

export class ProtobufError extends Error {}

/** length-delimited fields (wire type 2) of one message, in order; other wire types are skipped */
function fields(buf: Buffer): { field: number; value: Buffer }[] {
  const out: { field: number; value: Buffer }[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new ProtobufError('truncated varint');
      const byte = buf[pos++];
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ProtobufError('varint too long');
  };
  while (pos < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const length = varint();
      if (pos + length > buf.length) throw new ProtobufError('truncated field');
      out.push({ field, value: buf.subarray(pos, pos + length) });
      pos += length;
    } else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
  if (pos > buf.length) throw new ProtobufError('truncated message');
  return out;
}

const text = (b: Buffer) => b.toString('utf8');

function stringMap(entries: Buffer[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const parts = fields(entry);
    const key = parts.find((p) => p.field === 1);
    const value = parts.find((p) => p.field === 2);
    if (key) map[text(key.value)] = value ? text(value.value) : '';
  }
  return map;
}

export function decodeNamespace(body: Buffer): DecodedNamespace {
  if (!isKubernetesProtobuf(body))
    throw new ProtobufError('not a Kubernetes protobuf body (no k8s\\0 prefix)');
  const envelope = fields(body.subarray(MAGIC.length));
  const decoded: DecodedNamespace = { metadata: {} };
  const typeMeta = envelope.find((f) => f.field === 1);
  if (typeMeta) {
    for (const f of fields(typeMeta.value)) {
      if (f.field === 1) decoded.apiVersion = text(f.value);
      if (f.field === 2) decoded.kind = text(f.value);
    }
  }
  const raw = envelope.find((f) => f.field === 2);
  if (!raw) throw new ProtobufError('protobuf envelope without an object');
  const metadata = fields(raw.value).find((f) => f.field === 1);
  if (!metadata) return decoded;
  const meta = fields(metadata.value);
  const one = (n: number) => meta.find((f) => f.field === n);
  const name = one(1);
  if (name) decoded.metadata.name = text(name.value);
  const generateName = one(2);
  if (generateName) decoded.metadata.generateName = text(generateName.value);
  const labels = meta.filter((f) => f.field === 11).map((f) => f.value);
  if (labels.length) decoded.metadata.labels = stringMap(labels);
  const annotations = meta.filter((f) => f.field === 12).map((f) => f.value);
  if (annotations.length) decoded.metadata.annotations = stringMap(annotations);
  return decoded;
}
