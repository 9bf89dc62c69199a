package org.peft4j.examples.quickstart;

import org.peft4j.core.PeftModel;
import org.peft4j.lora.LoraConfig;
import org.peft4j.quant.QuantConfig;
import org.peft4j.quant.nn.KbitTraining;
import org.peft4j.quant.nn.ModelQuantizer;
import org.peft4j.quant.nn.QuantizationReport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The quickstart's {@code --method} values and how each adapts the model. */
public final class AdapterRecipes {

    /** The base model name written into adapter configs. */
    public static final String BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2";

    private static final Map<String, AdapterRecipe> RECIPES = new LinkedHashMap<>();

    static {
        RECIPES.put("lora", (model, o, data, encoder, manager) -> PeftModel.wrap(model, lora(o)));
        RECIPES.put("qlora", (model, o, data, encoder, manager) -> {
            // QLoRA: the encoder's linear weights held in NF4 with double quantization (blocksize 64), frozen;
            // LoRA in float32 on top; the new head stays float32 and trains through modules_to_save
            QuantizationReport q = ModelQuantizer.quantize(model.module("bert"), QuantConfig.qlora());
            KbitTraining.prepare(model);
            System.out.printf(java.util.Locale.ROOT, "qlora: %d linear layers in NF4+DQ, %.1f MB -> %.1f MB (%.3f bits per parameter)%n",
                    q.quantized().size(), q.bytesBefore() / 1e6, q.bytesAfter() / 1e6, q.bitsPerParameter());
            return PeftModel.wrap(model, lora(o));
        });
    }

    private AdapterRecipes() {}

    /**
     * The LoRA config the quickstart uses: the options' rank, alpha, dropout and targets, with the
     * {@code classifier} head trained and saved through {@code modules_to_save}.
     *
     * @param o the options
     * @return the config
     */
    public static LoraConfig lora(QuickstartOptions o) {
        return LoraConfig.builder().r(o.rank()).loraAlpha(o.alpha()).loraDropout(o.dropout())
                .targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build();
    }

    /**
     * Returns the accepted method names.
     *
     * @return names in the order help shows them
     */
    public static List<String> names() {
        return List.copyOf(RECIPES.keySet());
    }

    /**
     * Returns the recipe for a method.
     *
     * @param method the {@code --method} value
     * @return the recipe
     * @throws IllegalArgumentException naming the allowed values
     */
    public static AdapterRecipe of(String method) {
        AdapterRecipe r = RECIPES.get(method);
        if (r == null) {
            throw new IllegalArgumentException("--method: '" + method + "' is not available; allowed values: " + String.join(", ", names()));
        }
        return r;
    }
}
