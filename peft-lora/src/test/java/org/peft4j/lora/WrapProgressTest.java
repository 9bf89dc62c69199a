package org.peft4j.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.peft4j.core.PeftModel;
import org.peft4j.core.testing.ProgressCapture;
import org.peft4j.lora.testing.TinyNetFixture;
import org.junit.jupiter.api.Test;

/**
 * {@code PeftModel.wrap} shows a progress bar over the targeted layers only when creating the adapters takes
 * longer than {@code peft4j.progressAfterMs} (2 s by default): a quick wrap prints nothing.
 */
class WrapProgressTest extends TinyNetFixture {

    WrapProgressTest() {
        super(5);
    }

    @Test
    void quickWrapPrintsNothingAndASlowOneCountsLayers() {
        Runnable wrap = () -> PeftModel.wrap(net(3), LoraConfig.builder().r(2).targetModules("query", "value").build());
        assertEquals("", ProgressCapture.printed(null, wrap));
        // threshold 0: every wrap counts as slow; TinyNet's 2 blocks have 4 query/value layers
        String slow = ProgressCapture.printed("0", wrap);
        assertTrue(slow.contains("adapters:"), slow);
        assertTrue(slow.contains("1/4 layers") && slow.contains("4/4 layers") && slow.contains("100%"), slow);
        assertFalse(slow.contains("5/4"), slow);
    }
}
