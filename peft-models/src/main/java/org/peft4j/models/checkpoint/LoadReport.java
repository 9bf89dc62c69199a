package org.peft4j.models.checkpoint;

import java.util.List;

/**
 * What a checkpoint load did.
 *
 * @param source the checkpoint's description
 * @param loaded keys loaded from the checkpoint, in model order
 * @param initialized model parameters absent from the checkpoint (allowed by {@link LoadOptions})
 *     that kept or received their initial values
 * @param ignored checkpoint tensors skipped by {@link LoadOptions#ignoreUnexpected()}
 */
public record LoadReport(String source, List<String> loaded, List<String> initialized, List<String> ignored) {

    /** Copies the lists. */
    public LoadReport {
        loaded = List.copyOf(loaded);
        initialized = List.copyOf(initialized);
        ignored = List.copyOf(ignored);
    }

    /**
     * Returns whether every model parameter came from the checkpoint.
     *
     * @return true when nothing was initialised fresh
     */
    public boolean complete() {
        return initialized.isEmpty();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "loaded " + loaded.size() + " tensors from " + source
                + (initialized.isEmpty() ? "" : "; newly initialised (not in the checkpoint): " + initialized)
                + (ignored.isEmpty() ? "" : "; ignored: " + ignored);
    }
}
