package org.peft4j.quant.nn;

import java.util.List;

/**
 * What {@link KbitTraining#prepare} did.
 *
 * @param frozen the number of parameters frozen (all of them)
 * @param upcast the dotted paths of the parameters widened from float16 to float32
 */
public record KbitPreparation(int frozen, List<String> upcast) {

    /**
     * Copies the list.
     *
     * @param frozen see the record description
     * @param upcast see the record description
     */
    public KbitPreparation {
        upcast = List.copyOf(upcast);
    }
}
