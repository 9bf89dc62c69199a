package org.peft4j.lora.linalg;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * LAPACK's SVD output on the host: {@code u [m, c]}, {@code s [1, c]}, {@code vt [c, n]}, of which
 * the leading {@code k <= c} triplets are wanted.
 */
record HostSvd(HostMatrix u, HostMatrix s, HostMatrix vt) {

    /** The leading {@code k} triplets as DJL arrays on {@code device}, attached to {@code out}. */
    SvdResult leading(int k, NDManager out, Device device) {
        NDArray uk = u.topLeft(u.rows(), k).toNDArray(out, device);
        NDArray sk = s.topLeft(1, k).toNDArray(out, device, new Shape(k));
        NDArray vtk = vt.topLeft(k, vt.cols()).toNDArray(out, device);
        return new SvdResult(uk, sk, vtk);
    }
}
