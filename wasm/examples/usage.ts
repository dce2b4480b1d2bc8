// Type-checked usage of the package's TypeScript declarations
// (`npm run typecheck`).
import * as oncp from 'oncp-wasm';

const config: any = oncp.parseConfig(new Uint8Array([0, 6, 0, 0, 0, 10, 0, 2, 0, 0, 0, 4, 0, 0, 5, 120]));
const mtu: number = config.mtu;
const compressed: Uint8Array = oncp.lzoCompress(new TextEncoder().encode('hello hello hello'));
const plain: Uint8Array = oncp.lzoDecompress(compressed, 2048);
const version: string = oncp.version();
console.log(mtu, plain.length, version);
