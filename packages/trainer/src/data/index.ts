/** Data loading: IDX (MNIST / Fashion-MNIST) with a sha256 manifest. */
export { parseIdx, isGzip, type IdxArray } from './idx.js';
export { loadIdx, manifestDigest, type IdxDataset, type DatasetManifest, type ManifestFile } from './load-idx.js';
export { toTensors } from './to-tensors.js';
