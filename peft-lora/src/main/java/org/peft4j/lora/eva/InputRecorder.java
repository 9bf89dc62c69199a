package org.peft4j.lora.eva;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import org.peft4j.core.adapter.BaseDependentAdapter;
import org.peft4j.core.nn.LinearLayer;
import org.peft4j.lora.ProbeAdapter;

import java.util.ArrayList;
import java.util.List;

/**
 * EVA's forward hook: keeps the input of every call of its layer and leaves the output as it is. It
 * sits in an {@link org.peft4j.core.adapter.AdapterHost} as a {@link BaseDependentAdapter}, whose
 * {@code apply} receives the input and the frozen layer's output, so recording costs one detached
 * handle per call and no arithmetic. The kept inputs live in a manager of the recorder's own (a model
 * may close the manager its layer ran in), freed by {@link #release()}.
 */
final class InputRecorder extends ProbeAdapter implements BaseDependentAdapter {

    private final NDManager parent;
    private final List<NDArray> inputs = new ArrayList<>();
    private NDManager pass;
    private boolean recording = true;

    InputRecorder(NDManager parent, long out, long in) {
        super(out, in);
        this.parent = parent;
    }

    /** Turns recording on or off (PEFT removes the hook of a converged layer). */
    void setRecording(boolean on) {
        recording = on;
    }

    boolean recording() {
        return recording;
    }

    /** The inputs of the calls since the last {@link #release()}, in call order. */
    List<NDArray> inputs() {
        return inputs;
    }

    /** Frees the kept inputs. */
    void release() {
        inputs.clear();
        if (pass != null) {
            pass.close();
            pass = null;
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDArray apply(LinearLayer base, ParameterStore ps, NDArray x, NDArray result, boolean training, PairList<String, Object> params) {
        if (recording) {
            if (pass == null) {
                pass = parent.newSubManager();
            }
            NDArray kept = x.stopGradient();
            kept.attach(pass);
            inputs.add(kept);
        }
        return result;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray mergedWeight(NDArray weight, NDManager manager) {
        throw new IllegalStateException("EVA's input recorder is not an adapter to merge");
    }

    /** {@inheritDoc} */
    @Override
    public NDArray unmergedWeight(NDArray mergedWeight, NDManager manager) {
        throw new IllegalStateException("EVA's input recorder is not an adapter to unmerge");
    }

    /** {@inheritDoc} */
    @Override
    public String peftType() {
        return "LORA";
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new IllegalStateException("EVA's input recorder runs through AdapterHost.apply only");
    }

}
