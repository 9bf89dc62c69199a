package org.peft4j.merge.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DensitiesTest {

    @Test
    void uniformDensityAppliesToEveryInput() {
        Densities d = Densities.uniform(0.3);
        assertTrue(d.isUniform());
        assertEquals(0.3, d.get(0));
        assertEquals(0.3, d.get(7));
        d.requireCount(5); // any count fits
    }

    @Test
    void perInputDensitiesAreReadInInputOrder() {
        Densities d = Densities.perInput(0.2, 1.0);
        assertFalse(d.isUniform());
        assertEquals(0.2, d.get(0));
        assertEquals(1.0, d.get(1));
    }

    @Test
    void aPerInputValueOutsideTheUnitIntervalIsRejectedByIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Densities.perInput(0.5, 0.0));
        assertTrue(e.getMessage().contains("densities[1]") && e.getMessage().contains("(0, 1]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Densities.perInput(1.5));
        assertThrows(IllegalArgumentException.class, () -> Densities.uniform(Double.NaN));
    }
}
