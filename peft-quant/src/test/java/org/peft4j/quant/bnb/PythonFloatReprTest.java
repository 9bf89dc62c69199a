package org.peft4j.quant.bnb;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Python's repr(float), the spelling bitsandbytes' JSON uses for nested_offset. */
class PythonFloatReprTest {

    @ParameterizedTest(name = "{1}")
    @CsvSource({
        // value, repr(value) as CPython 3 prints it
        "0.1, 0.1",
        "1e-05, 1e-05",
        "1e16, 1e+16",
        "1e15, 1000000000000000.0",
        "123456789.0, 123456789.0",
        "0.0001, 0.0001",
        "2.5e-05, 2.5e-05",
        "-0.0, -0.0",
        "0.0, 0.0",
        "100.0, 100.0",
        "4.9e-324, 5e-324",
        "1.7976931348623157e308, 1.7976931348623157e+308",
        "0.30000000000000004, 0.30000000000000004",
        "1e22, 1e+22",
        "-1.5e-7, -1.5e-07",
        "12345678901234567890.0, 1.2345678901234567e+19",
        // float32 offsets widened to double, from the fixture JSON
        "3.4499998092651367, 3.4499998092651367",
        "2.587095260620117, 2.587095260620117",
        "0.6666666865348816, 0.6666666865348816",
        "0.10000000149011612, 0.10000000149011612"
    })
    void formatsLikeCpython(double value, String repr) {
        assertEquals(repr, PythonFloatRepr.of(value));
    }
}
