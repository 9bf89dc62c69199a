package org.peft4j.quant.bnb;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats a double exactly as Python's {@code repr(float)} (and so {@code json.dumps}) does: the
 * shortest decimal that reads back to the same double, in fixed notation when the decimal exponent
 * is in [-4, 16), otherwise as {@code d.ddde+XX}. bitsandbytes writes {@code nested_offset} this way,
 * so byte-identical quantization state JSON needs it (Java's {@code Double.toString} differs in
 * format, and before JDK 19 is not always shortest).
 */
public final class PythonFloatRepr {

    private PythonFloatRepr() {}

    /**
     * Returns Python's {@code repr(value)}, with {@code json.dumps}' spellings of the non-finite
     * values ({@code NaN}, {@code Infinity}, {@code -Infinity}).
     *
     * @param value any double
     * @return the repr
     */
    public static String of(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "Infinity" : "-Infinity";
        }
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        BigDecimal exact = new BigDecimal(value);
        BigDecimal shortest = null;
        for (int digits = 1; digits <= 17; digits++) {
            BigDecimal candidate = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
            if (candidate.doubleValue() == value) {
                shortest = candidate;
                break;
            }
        }
        BigDecimal stripped = shortest.stripTrailingZeros();
        String digits = stripped.unscaledValue().abs().toString();
        // value = 0.d1d2d3... * 10^(exponent + 1); exponent is the power of ten of the first digit
        int exponent = digits.length() - 1 - stripped.scale();
        StringBuilder out = new StringBuilder();
        if (value < 0) {
            out.append('-');
        }
        if (exponent >= -4 && exponent < 16) {
            if (exponent < 0) {
                out.append("0.");
                out.append("0".repeat(-exponent - 1));
                out.append(digits);
            } else if (digits.length() <= exponent + 1) {
                out.append(digits);
                out.append("0".repeat(exponent + 1 - digits.length()));
                out.append(".0");
            } else {
                out.append(digits, 0, exponent + 1);
                out.append('.');
                out.append(digits, exponent + 1, digits.length());
            }
        } else {
            out.append(digits.charAt(0));
            if (digits.length() > 1) {
                out.append('.');
                out.append(digits, 1, digits.length());
            }
            out.append('e');
            out.append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                out.append('0');
            }
            out.append(abs);
        }
        return out.toString();
    }
}
