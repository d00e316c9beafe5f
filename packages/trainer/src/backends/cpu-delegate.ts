import * as tf from '@tensorflow/tfjs';
import type {
  DataType,
  KernelBackend,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { TrainerError } from '../per-sample/trainer-error.js';
import type { WasmBackendLike } from './wasm-heap.js';

/** What tfjs-backend-cpu's MathBackendCPU adds to KernelBackend and the delegation uses. */
type CpuBackend = KernelBackend & {
  makeTensorInfo(shape: number[], dtype: DataType, values?: tf.backend_util.BackendValues): TensorInfo;
};

/**
 * A wasm kernel that runs the cpu backend's kernel of the same name on copies of its inputs: exact, and used for
 * gradients tfjs-backend-wasm 4.22 lacks or gets wrong that are not worth a kernel of their own (UnsortedSegmentSum
 * for Embedding, the DepthwiseConv2dNative backprops, MaxPool3DGrad).
 *
 * @example
 * tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm',
 *   kernelFunc: delegateToCpu('UnsortedSegmentSum') });
 */
export function delegateToCpu(kernelName: string): KernelFunc {
  return ({ inputs, backend, attrs }: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const wasm = backend as WasmBackendLike;
    const cpu = tf.findBackend('cpu') as CpuBackend | null;
    if (cpu === null) throw new TrainerError('backend_unavailable', `${kernelName} on wasm needs the cpu backend`);
    const cpuInputs: NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(inputs)) {
      if (t !== undefined) cpuInputs[name] = cpu.makeTensorInfo(t.shape, t.dtype, wasm.readSync(t.dataId));
    }
    const result = tf.getKernel(kernelName, 'cpu').kernelFunc({ inputs: cpuInputs, backend: cpu, attrs });
    const outputs = Array.isArray(result) ? result : [result];
    const copies = outputs.map((o) =>
      wasm.makeOutput([...o.shape], o.dtype, undefined, cpu.readSync(o.dataId) as tf.backend_util.BackendValues),
    );
    for (const t of [...Object.values(cpuInputs), ...outputs]) if (t !== undefined) cpu.disposeData(t.dataId);
    return Array.isArray(result) ? copies : copies[0]!;
  };
}
