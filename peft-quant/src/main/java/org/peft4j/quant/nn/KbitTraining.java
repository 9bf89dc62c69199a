package org.peft4j.quant.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

import org.peft4j.core.PeftException;
import org.peft4j.core.nn.BlockPaths;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prepares a quantized model for adapter training, as PEFT's {@code
 * prepare_model_for_kbit_training} (peft {@code src/peft/utils/other.py}): every parameter is frozen,
 * and every half-precision parameter (norms, embeddings, heads, biases; the 4-bit weights are not
 * parameters) is widened to float32 so that the layers kept dense compute and back-propagate in full
 * precision. Gradient checkpointing, which PEFT also switches on, has no counterpart here.
 *
 * <p>Call it after {@link ModelQuantizer#quantize} and before creating a trainer.
 */
public final class KbitTraining {

    private KbitTraining() {}

    /**
     * Freezes all parameters of {@code root} and widens float16 ones to float32 in place.
     *
     * @param root the model
     * @return the number of frozen parameters and the paths that were widened
     */
    public static KbitPreparation prepare(Block root) {
        Map<String, Parameter> parameters = BlockPaths.parameters(root);
        List<String> upcast = new ArrayList<>();
        for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
            Parameter p = entry.getValue();
            NDArray array = p.getArray();
            if (array != null && array.getDataType() == DataType.FLOAT16) {
                NDArray wide = array.toType(DataType.FLOAT32, true);
                replaceArray(p, wide, entry.getKey());
                array.close();
                upcast.add(entry.getKey());
            }
            p.freeze(true);
        }
        return new KbitPreparation(parameters.size(), upcast);
    }

    /**
     * DJL's {@link Parameter#setArray} refuses a second array, and a dtype cannot change in place,
     * so the array field is replaced directly (same shape, same manager).
     */
    private static void replaceArray(Parameter parameter, NDArray array, String path) {
        try {
            Field field = Parameter.class.getDeclaredField("array");
            field.setAccessible(true);
            array.setName(parameter.getName());
            field.set(parameter, array);
        } catch (ReflectiveOperationException | RuntimeException e) {
            array.close();
            throw new PeftException("cannot widen parameter '" + path + "' to float32", e);
        }
    }
}
