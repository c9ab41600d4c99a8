// Share links: the whole pipeline in the URL hash, `#p=` + base64url(deflate-raw(JSON)).
// Uses the platform's CompressionStream (browsers, Node ≥ 18), so no compression library ships.
// The hash never reaches the server: a shared pipeline stays between the people who hold the link.
import { canonicalDocument, type Pipeline } from './document';

export const SHARE_PREFIX = '#p=';

async function through(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Bytes → base64url without padding (RFC 4648 §5), safe in a URL fragment. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url (padding optional) → bytes; throws on characters outside the alphabet. */
export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('the link is damaged (unexpected characters)');
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The hash for a pipeline (compact canonical JSON, compressed).
 * @example location.hash = await encodeShare(doc) // '#p=q1YqSy0qzs...'
 */
export async function encodeShare(doc: Pipeline): Promise<string> {
  const json = JSON.stringify(canonicalDocument(doc));
  return SHARE_PREFIX + toBase64Url(await through(new TextEncoder().encode(json), new CompressionStream('deflate-raw')));
}

/** Whether a location hash carries a shared pipeline. */
export function isShareHash(hash: string): boolean {
  return hash.startsWith(SHARE_PREFIX);
}

/**
 * The JSON value in a share hash (still to be validated with loadDocumentValue).
 * Throws with a readable message when the link is damaged.
 */
export async function decodeShare(hash: string): Promise<unknown> {
  if (!isShareHash(hash)) throw new Error('not a pipeline link');
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(
      await through(fromBase64Url(hash.slice(SHARE_PREFIX.length)), new DecompressionStream('deflate-raw')),
    );
  } catch (error) {
    throw new Error(`the link is damaged (${(error as Error).message})`);
  }
  try {
    return JSON.parse(json);
  } catch {
    throw new Error('the link is damaged (its pipeline is not JSON)');
  }
}
