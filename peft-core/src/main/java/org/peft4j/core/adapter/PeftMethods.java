package org.peft4j.core.adapter;

import org.peft4j.core.PeftException;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The registry of adapter methods found with {@link ServiceLoader}, keyed by {@code peft_type}. */
public final class PeftMethods {

    private static volatile Map<String, PeftMethod> methods;

    private PeftMethods() {}

    /**
     * Returns the method for {@code peftType}.
     *
     * @param peftType e.g. {@code "LORA"}
     * @return the method
     * @throws PeftException naming the type and the registered ones
     */
    public static PeftMethod forType(String peftType) {
        PeftMethod m = all().get(peftType);
        if (m == null) {
            throw new PeftException(
                    "peft_type '" + peftType + "' has no registered method; registered: " + all().keySet()
                            + " (add the module that provides it, e.g. peft-lora, to the class path)");
        }
        return m;
    }

    /**
     * Returns every registered method.
     *
     * @return type to method, sorted
     */
    public static Map<String, PeftMethod> all() {
        Map<String, PeftMethod> m = methods;
        if (m == null) {
            synchronized (PeftMethods.class) {
                m = methods;
                if (m == null) {
                    m = new TreeMap<>();
                    for (PeftMethod method : ServiceLoader.load(PeftMethod.class, PeftMethods.class.getClassLoader())) {
                        m.put(method.peftType(), method);
                    }
                    methods = m;
                }
            }
        }
        return m;
    }
}
