package org.peft4j.core.config;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's {@code target_modules} / {@code exclude_modules}: a list of names (each matching a path
 * exactly or as a whole-segment suffix), one regular expression that must match the whole path, or
 * {@code "all-linear"}.
 */
public final class TargetModules {

    /** How the value matches. */
    public enum Kind {
        /** Exact path or whole-segment suffix. */
        NAMES,
        /** {@code re.fullmatch} of the whole path. */
        REGEX,
        /** Every linear layer except the output embedding ({@code lm_head}). */
        ALL_LINEAR
    }

    private final Kind kind;
    private final List<String> names;
    private final Pattern regex;
    private final String regexSource;

    private TargetModules(Kind kind, List<String> names, String regexSource) {
        this.kind = kind;
        this.names = names;
        this.regexSource = regexSource;
        this.regex = regexSource == null ? null : compileInLinearTime(regexSource);
    }

    /**
     * Compiles a regex in time linear in its length. java.util.regex builds a Boyer-Moore table, quadratic in the
     * length, for a pattern that is one long literal: a 100,000-character {@code "xxx..."} took 4 s, a config at
     * the reader's 16 MiB limit would take hours. An empty group in front stops the pattern from being one
     * literal without changing what it matches or which patterns are invalid, except that a leading quantifier
     * would then repeat the group: those patterns are invalid anyway and fail as soon as they are parsed.
     */
    private static Pattern compileInLinearTime(String regex) {
        char first = regex.isEmpty() ? ' ' : regex.charAt(0);
        return Pattern.compile(first == '*' || first == '+' || first == '?' ? regex : "(?:)" + regex);
    }

    /**
     * Targets by name: a path matches when it equals a name or ends with {@code "." + name}.
     *
     * @param names the names, e.g. {@code "query", "value"} or {@code "self_attn.q_proj"}
     * @return the targets
     */
    public static TargetModules names(List<String> names) {
        Objects.requireNonNull(names, "target_modules");
        List<String> copy = new ArrayList<>();
        for (String n : names) {
            if (n == null || n.isBlank()) {
                throw new IllegalArgumentException("target_modules: names must be non-empty strings, got " + names);
            }
            if (!copy.contains(n)) {
                copy.add(n);
            }
        }
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("target_modules: the list is empty; give names, a regex, or \"all-linear\"");
        }
        return new TargetModules(Kind.NAMES, Collections.unmodifiableList(copy), null);
    }

    /**
     * Targets by name.
     *
     * @param names the names
     * @return the targets
     */
    public static TargetModules names(String... names) {
        return names(List.of(names));
    }

    /**
     * Targets by one regular expression that must match the whole path ({@code re.fullmatch}).
     * {@code "all-linear"} (any case) selects {@link Kind#ALL_LINEAR}.
     *
     * @param regex the expression
     * @return the targets
     */
    public static TargetModules regex(String regex) {
        if ("all-linear".equals(regex.toLowerCase(Locale.ROOT))) {
            return new TargetModules(Kind.ALL_LINEAR, List.of(), null);
        }
        try {
            return new TargetModules(Kind.REGEX, List.of(), regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("target_modules: invalid regular expression '" + regex + "': " + e.getDescription(), e);
        }
    }

    /**
     * Every linear layer except {@code lm_head}.
     *
     * @return the targets
     */
    public static TargetModules allLinear() {
        return new TargetModules(Kind.ALL_LINEAR, List.of(), null);
    }

    /**
     * Parses the JSON value of {@code target_modules} or {@code exclude_modules} (a list or a string).
     *
     * @param field the field name, for errors
     * @param value the JSON value, or null / JSON null
     * @return the targets, or null when absent
     */
    public static TargetModules fromJson(String field, JsonElement value) {
        if (value == null || value.isJsonNull()) {
            return null;
        }
        if (value.isJsonPrimitive() && value.getAsJsonPrimitive().isString()) {
            return regex(value.getAsString());
        }
        if (value.isJsonArray()) {
            List<String> names = new ArrayList<>();
            for (JsonElement e : value.getAsJsonArray()) {
                if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException(field + ": list entries must be strings, got " + e);
                }
                names.add(e.getAsString());
            }
            if (names.isEmpty()) {
                return null;
            }
            return names(names);
        }
        throw new IllegalArgumentException(field + ": expected a list of names or a regex string, got " + value);
    }

    /**
     * Returns the JSON form (a sorted list, or the regex string).
     *
     * @return the JSON value
     */
    public JsonElement toJson() {
        switch (kind) {
            case NAMES:
                JsonArray a = new JsonArray();
                names.stream().sorted().forEach(a::add);
                return a;
            case REGEX:
                return new JsonPrimitive(regexSource);
            default:
                return new JsonPrimitive("all-linear");
        }
    }

    /**
     * Returns whether {@code path} is selected (for {@link Kind#ALL_LINEAR} only the name part is
     * checked here; callers add the linear-layer test).
     *
     * @param path the dotted module path
     * @return whether it matches
     */
    public boolean matches(String path) {
        switch (kind) {
            case NAMES:
                for (String n : names) {
                    if (path.equals(n) || path.endsWith("." + n)) {
                        return true;
                    }
                }
                return false;
            case REGEX:
                return regex.matcher(path).matches();
            default:
                return !(path.equals("lm_head") || path.endsWith(".lm_head"));
        }
    }

    /**
     * Returns how the targets match.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the names for {@link Kind#NAMES}, otherwise an empty list.
     *
     * @return the names
     */
    public List<String> names() {
        return names;
    }

    /**
     * Returns the expression for {@link Kind#REGEX}, otherwise null.
     *
     * @return the regex or null
     */
    public String regex() {
        return regexSource;
    }

    /**
     * Returns the union with {@code other}, as PEFT's add_weighted_adapter does: the union of two
     * name lists, or {@code (a)|(b)} for regexes.
     *
     * @param other the other targets
     * @return the union
     */
    public TargetModules union(TargetModules other) {
        if (kind == Kind.ALL_LINEAR || other.kind == Kind.ALL_LINEAR) {
            return allLinear();
        }
        if (kind == Kind.NAMES && other.kind == Kind.NAMES) {
            List<String> all = new ArrayList<>(names);
            for (String n : other.names) {
                if (!all.contains(n)) {
                    all.add(n);
                }
            }
            return names(all);
        }
        return regex("(" + asRegex() + ")|(" + other.asRegex() + ")");
    }

    private String asRegex() {
        if (kind == Kind.REGEX) {
            return regexSource;
        }
        StringBuilder sb = new StringBuilder("(.*\\.)?(");
        for (int i = 0; i < names.size(); i++) {
            sb.append(i == 0 ? "" : "|").append(Pattern.quote(names.get(i)));
        }
        return sb.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TargetModules)) {
            return false;
        }
        TargetModules t = (TargetModules) o;
        return kind == t.kind && names.equals(t.names) && Objects.equals(regex(), t.regex());
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, names, regex());
    }

    @Override
    public String toString() {
        return kind == Kind.NAMES ? names.toString() : toJson().getAsString();
    }
}
