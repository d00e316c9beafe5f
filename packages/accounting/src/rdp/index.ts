export { RdpAccountant, type RdpAccountantOptions } from './rdp-accountant.js';
export { DEFAULT_RDP_ORDERS } from './default-orders.js';
export { rdpToEpsilon, rdpToDelta, type AtOrder } from './conversion.js';
export { poissonSampledGaussianRdp } from './sampled-gaussian.js';
export { sampledWithoutReplacementGaussianRdp } from './sampled-without-replacement.js';
export { gaussianRdp, laplaceRdp, zcdpRdp, pureDpRdp } from './mechanisms.js';
