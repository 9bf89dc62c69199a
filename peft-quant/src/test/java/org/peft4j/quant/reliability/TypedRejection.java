package org.peft4j.quant.reliability;

import java.io.IOException;

/**
 * A typed runtime rejection that a reader documents ({@code QuantStateException}, {@code
 * IllegalArgumentException}) carried as the {@link IOException} that {@code FuzzCampaign} counts as a rejection.
 */
final class TypedRejection extends IOException {

    private static final long serialVersionUID = 1L;

    TypedRejection(RuntimeException cause) {
        super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
}
