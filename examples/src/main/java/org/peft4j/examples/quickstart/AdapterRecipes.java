package org.peft4j.examples.quickstart;

import org.peft4j.core.PeftModel;
import org.peft4j.lora.LoraConfig;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The quickstart's {@code --method} values and how each adapts the model. */
public final class AdapterRecipes {

    /** The base model name written into adapter configs. */
    public static final String BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2";

    private static final Map<String, AdapterRecipe> RECIPES = new LinkedHashMap<>();

    static {
        RECIPES.put("lora", (model, o, data, encoder, manager) -> PeftModel.wrap(model, LoraConfig.builder()
                .r(o.rank()).loraAlpha(o.alpha()).loraDropout(o.dropout())
                .targetModules(o.targets().toArray(new String[0])).modulesToSave("classifier")
                .baseModelNameOrPath(BASE_MODEL).build()));
    }

    private AdapterRecipes() {}

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
