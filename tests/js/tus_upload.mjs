// A stock tus-js-client upload from Node, driven by tests/tests/blobs_tus_js.rs:
//   node tus_upload.mjs <endpoint> <file> <sha256 hex> <chunk size>
// The endpoint carries a ticket (`...?ticket=`), as a browser's would. Prints `UPLOADED <url>`
// on success; exits 1 with the error otherwise.
import fs from 'node:fs';
import * as tus from 'tus-js-client';

const [, , endpoint, file, sha256, chunk] = process.argv;
const data = fs.readFileSync(file);
const upload = new tus.Upload(data, {
  endpoint,
  chunkSize: Number(chunk),
  retryDelays: [0, 200, 500],
  metadata: { sha256, filetype: 'image/jpeg' },
  onError(error) {
    console.error(`ERROR ${error}`);
    process.exit(1);
  },
  onSuccess() {
    console.log(`UPLOADED ${upload.url}`);
  },
});
upload.start();
