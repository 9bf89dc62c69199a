package org.peft4j.quant.blockwise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Borrows an array into another manager as a new handle. In DJL an op's result belongs to its left
 * operand's manager, so computing directly on a long-lived array (packed data, statistics, a code
 * book) would leave every intermediate in that array's manager; computing on a view owned by a
 * short-lived scratch manager puts them there instead, and closing the scratch frees them.
 */
public final class ManagedView {

    private ManagedView() {}

    /**
     * Returns a new handle on {@code array} owned by {@code manager}, on that manager's device (a
     * copy when the devices differ, otherwise a view sharing storage). Closing the view never closes
     * {@code array}.
     *
     * @param array the array to borrow
     * @param manager the manager that owns the view
     * @return the view
     */
    public static NDArray of(NDArray array, NDManager manager) {
        NDArray view;
        if (!array.getDevice().equals(manager.getDevice())) {
            view = array.toDevice(manager.getDevice(), true);
        } else {
            view = array.reshape(array.getShape());
        }
        view.attach(manager);
        return view;
    }
}
