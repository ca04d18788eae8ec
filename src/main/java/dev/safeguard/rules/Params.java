package dev.safeguard.rules;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The params a rule declares: for each, its type, whether a policy must give it, its default and what it is for.
 * A rule file either declares them (a list of {@code name, type, items, required, default, description}) or
 * gives a mapping of defaults, from which each type is inferred strictly (an empty list or a list mixing types
 * cannot be inferred and must be declared).
 *
 * <p>Every value a rule's expressions see as {@code params.x} has been checked against this: a policy override
 * that does not fit, or names a param the rule does not declare, is refused with the field and the expected
 * type, so a typo never silently changes what a rule does (a string where a list belongs once made every Pod a
 * rule error and let a SYS_ADMIN Pod through a deny-level rule).
 */
public final class Params {

    /** The kinds of value a param may hold. Lists and maps hold scalars of one type. */
    public enum Type {
        STRING, INTEGER, NUMBER, BOOLEAN, LIST, MAP;

        public String id() {
            return LowerCaseIds.of(this);
        }

        boolean scalar() {
            return this != LIST && this != MAP;
        }

        static Type parse(String value, String where) throws InvalidParamException {
            for (Type type : values()) {
                if (type.id().equals(value)) {
                    return type;
                }
            }
            throw new InvalidParamException(where, "unknown type '" + value + "', expected one of "
                    + java.util.Arrays.stream(values()).map(Type::id).collect(Collectors.joining(", ")));
        }
    }

    /**
     * One declared param.
     *
     * @param items        the type of a list's elements or a map's values; null for scalars
     * @param defaultValue the normalised default (ObjectTree form), or null when there is none
     */
    public record Param(String name, Type type, Type items, boolean required, Object defaultValue, String description) {

        /** "a list of strings", "an integer", "a map of strings to integers". */
        public String expected() {
            return switch (type) {
                case LIST -> "a list of " + plural(items);
                case MAP -> "a map of strings to " + plural(items);
                default -> article(type);
            };
        }

        /** "list of string", "integer": the short form the rules reference shows. */
        public String typeName() {
            return switch (type) {
                case LIST -> "list of " + items.id();
                case MAP -> "map of string to " + items.id();
                default -> type.id();
            };
        }

        /**
         * The value in the form expressions see, when it fits this param; otherwise an error naming
         * {@code where} (e.g. {@code spec.rules[0].params.allowed}), the expected type and what was found.
         */
        Object check(Object value, String where) throws InvalidParamException {
            if (value == null) {
                throw new InvalidParamException(where, "expected " + expected() + ", got null");
            }
            return switch (type) {
                case LIST -> {
                    if (!(value instanceof List<?> list)) {
                        throw mismatch(where, value);
                    }
                    List<Object> checked = new ArrayList<>(list.size());
                    for (int i = 0; i < list.size(); i++) {
                        checked.add(scalar(items, list.get(i), where + "[" + i + "]"));
                    }
                    yield Collections.unmodifiableList(checked);
                }
                case MAP -> {
                    if (!(value instanceof Map<?, ?> map)) {
                        throw mismatch(where, value);
                    }
                    Map<String, Object> checked = new LinkedHashMap<>();
                    for (Map.Entry<?, ?> entry : map.entrySet()) {
                        String key = String.valueOf(entry.getKey());
                        checked.put(key, scalar(items, entry.getValue(), where + "." + key));
                    }
                    yield Collections.unmodifiableMap(checked);
                }
                default -> scalar(type, value, where);
            };
        }

        private InvalidParamException mismatch(String where, Object value) {
            return new InvalidParamException(where, "expected " + expected() + ", got " + describe(value));
        }
    }

    /** A rule without params. */
    public static final Params NONE = new Params(List.of());

    private static final Set<String> DECLARATION_FIELDS = Set.of("name", "type", "items", "required", "default",
            "description");

    private final List<Param> declared;
    private final Map<String, Param> byName;
    private final Map<String, Object> defaults;

    private Params(List<Param> declared) {
        this.declared = List.copyOf(declared);
        Map<String, Param> index = new LinkedHashMap<>();
        Map<String, Object> values = new LinkedHashMap<>();
        for (Param param : declared) {
            index.put(param.name(), param);
            if (param.defaultValue() != null) {
                values.put(param.name(), param.defaultValue());
            }
        }
        this.byName = Collections.unmodifiableMap(index);
        this.defaults = Collections.unmodifiableMap(values);
    }

    /**
     * The params of a rule file's {@code params} field: null (none), a mapping of defaults (types inferred), or a
     * list of declarations.
     */
    static Params of(Object params) throws InvalidParamException {
        if (params == null) {
            return NONE;
        }
        if (params instanceof Map<?, ?> defaults) {
            List<Param> declared = new ArrayList<>();
            for (Map.Entry<?, ?> entry : defaults.entrySet()) {
                String name = String.valueOf(entry.getKey());
                String where = "params." + name;
                checkName(name, where);
                declared.add(inferred(name, entry.getValue(), where));
            }
            return new Params(declared);
        }
        if (params instanceof List<?> declarations) {
            List<Param> declared = new ArrayList<>();
            for (int i = 0; i < declarations.size(); i++) {
                Param param = declaration(declarations.get(i), "params[" + i + "]");
                if (declared.stream().anyMatch(other -> other.name().equals(param.name()))) {
                    throw new InvalidParamException("params[" + i + "]", "param '" + param.name() + "' is declared twice");
                }
                declared.add(param);
            }
            return new Params(declared);
        }
        throw new InvalidParamException("params", "expected a mapping of defaults or a list of declarations, got "
                + describe(params));
    }

    private static Param declaration(Object element, String where) throws InvalidParamException {
        if (!(element instanceof Map<?, ?> fields)) {
            throw new InvalidParamException(where, "a param declaration is a mapping with name, type and optionally "
                    + "items, required, default, description; got " + describe(element));
        }
        for (Object key : fields.keySet()) {
            if (!DECLARATION_FIELDS.contains(String.valueOf(key))) {
                throw new InvalidParamException(where + "." + key, "unknown field (known: "
                        + String.join(", ", new java.util.TreeSet<>(DECLARATION_FIELDS)) + ")");
            }
        }
        if (!(fields.get("name") instanceof String name) || name.isBlank()) {
            throw new InvalidParamException(where + ".name", fields.get("name") == null
                    ? "required: the name expressions read as params.<name>"
                    : "expected a string, got " + describe(fields.get("name")) + " (quote it)");
        }
        checkName(name, where + ".name");
        if (!(fields.get("type") instanceof String typeName)) {
            throw new InvalidParamException(where + ".type", "required: one of string, integer, number, boolean, list, map");
        }
        Type type = Type.parse(typeName, where + ".type");
        Type items = null;
        if (type.scalar()) {
            if (fields.containsKey("items")) {
                throw new InvalidParamException(where + ".items", "only a list or a map has items");
            }
        } else {
            if (!(fields.get("items") instanceof String itemsName)) {
                throw new InvalidParamException(where + ".items", "required for a " + type.id()
                        + ": the type of its elements (string, integer, number or boolean)");
            }
            items = Type.parse(itemsName, where + ".items");
            if (!items.scalar()) {
                throw new InvalidParamException(where + ".items", "must be string, integer, number or boolean");
            }
        }
        Object required = fields.get("required");
        if (required != null && !(required instanceof Boolean)) {
            throw new InvalidParamException(where + ".required", "expected true or false, got " + describe(required));
        }
        Object description = fields.get("description");
        if (description != null && !(description instanceof String)) {
            throw new InvalidParamException(where + ".description", "expected a string, got " + describe(description));
        }
        Param shape = new Param(name, type, items, Boolean.TRUE.equals(required), null, (String) description);
        Object defaultValue = null;
        if (fields.containsKey("default")) {
            defaultValue = shape.check(fields.get("default"), where + ".default");
        } else if (!shape.required()) {
            throw new InvalidParamException(where, "param '" + name + "' needs a default unless it is required: true");
        }
        return new Param(name, type, items, shape.required(), defaultValue, shape.description());
    }

    /** The param a default implies, inferred strictly. */
    private static Param inferred(String name, Object value, String where) throws InvalidParamException {
        String declare = "; declare it (params: [{name: " + name + ", type: ..., default: ...}])";
        if (value instanceof List<?> list) {
            Type items = elementType(list, where, declare);
            Param param = new Param(name, Type.LIST, items, false, null, null);
            return new Param(name, Type.LIST, items, false, param.check(value, where), null);
        }
        if (value instanceof Map<?, ?> map) {
            Type items = elementType(map.values(), where, declare);
            Param param = new Param(name, Type.MAP, items, false, null, null);
            return new Param(name, Type.MAP, items, false, param.check(value, where), null);
        }
        Type type = scalarType(value);
        if (type == null) {
            throw new InvalidParamException(where, "cannot infer a type from " + describe(value) + declare);
        }
        return new Param(name, type, null, false, scalar(type, value, where), null);
    }

    private static Type elementType(java.util.Collection<?> values, String where, String declare)
            throws InvalidParamException {
        if (values.isEmpty()) {
            throw new InvalidParamException(where, "cannot infer the type of the elements of an empty default" + declare);
        }
        Type found = null;
        for (Object value : values) {
            Type type = scalarType(value);
            if (type == null) {
                throw new InvalidParamException(where, "elements must be strings, integers, numbers or booleans, "
                        + "got " + describe(value));
            }
            if (found != null && found != type) {
                throw new InvalidParamException(where, "cannot infer one element type: the default mixes "
                        + plural(found) + " and " + plural(type) + declare);
            }
            found = type;
        }
        return found;
    }

    private static Type scalarType(Object value) {
        if (value instanceof String) {
            return Type.STRING;
        }
        if (value instanceof Boolean) {
            return Type.BOOLEAN;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return Type.INTEGER;
        }
        if (value instanceof Double || value instanceof Float || value instanceof BigDecimal) {
            return Type.NUMBER;
        }
        return null;
    }

    /** A scalar in the form CEL compares it: String, Long, Double or Boolean. */
    private static Object scalar(Type type, Object value, String where) throws InvalidParamException {
        Type found = scalarType(value);
        if (found == type) {
            return switch (type) {
                case INTEGER -> integer(value, where);
                case NUMBER -> ((Number) value).doubleValue();
                default -> value;
            };
        }
        if (type == Type.NUMBER && found == Type.INTEGER) {
            return ((Number) value).doubleValue(); // 2 is a fine number
        }
        throw new InvalidParamException(where, "expected " + article(type) + ", got " + describe(value));
    }

    private static Long integer(Object value, String where) throws InvalidParamException {
        if (value instanceof BigInteger big) {
            if (big.bitLength() > 63) {
                throw new InvalidParamException(where, "integer " + big + " does not fit in 64 bits");
            }
            return big.longValue();
        }
        return ((Number) value).longValue();
    }

    private static void checkName(String name, String where) throws InvalidParamException {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new InvalidParamException(where, "'" + name + "' is not a name expressions can read as params."
                    + name + " (letters, digits and '_', not starting with a digit)");
        }
    }

    public List<Param> declared() {
        return declared;
    }

    public boolean isEmpty() {
        return declared.isEmpty();
    }

    public boolean declares(String name) {
        return byName.containsKey(name);
    }

    /** The defaults, checked: what expressions see when no policy overrides a param. */
    public Map<String, Object> defaults() {
        return defaults;
    }

    /**
     * {@code current} with the params of {@code overrides} replacing theirs, each checked against its declaration.
     *
     * @param where where the overrides were written, e.g. {@code spec.rules[2].params}
     */
    Map<String, Object> merge(Map<String, Object> current, Map<String, ?> overrides, String where)
            throws InvalidParamException {
        Map<String, Object> merged = new LinkedHashMap<>(current);
        for (Map.Entry<String, ?> override : overrides.entrySet()) {
            String field = where + "." + override.getKey();
            Param param = byName.get(override.getKey());
            if (param == null) {
                throw new InvalidParamException(field, "unknown param" + (declared.isEmpty() ? ": the rule has none"
                        : " (the rule declares: " + declared.stream().map(Param::name).collect(Collectors.joining(", "))
                                + ")"));
            }
            merged.put(param.name(), param.check(override.getValue(), field));
        }
        return Collections.unmodifiableMap(merged);
    }

    /** The required params that {@code values} lacks, e.g. "params.allowed (a list of strings)". */
    List<String> missing(Map<String, Object> values) {
        List<String> missing = new ArrayList<>();
        for (Param param : declared) {
            if (param.required() && !values.containsKey(param.name())) {
                missing.add("params." + param.name() + " (" + param.expected() + ")");
            }
        }
        return missing;
    }

    private static String article(Type type) {
        return switch (type) {
            case INTEGER -> "an integer";
            case LIST -> "a list";
            case MAP -> "a map";
            default -> "a " + type.id();
        };
    }

    private static String plural(Type type) {
        return type.id() + "s";
    }

    /** "a string (\"NET_BIND_SERVICE\")", "a list", "an integer (3)": what was found, for messages. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        Type type = scalarType(value);
        if (type == Type.STRING) {
            String text = (String) value;
            return "a string (\"" + (text.length() > 40 ? text.substring(0, 37) + "..." : text) + "\")";
        }
        if (type != null) {
            return article(type) + " (" + value + ")";
        }
        if (value instanceof List<?>) {
            return "a list";
        }
        if (value instanceof Map<?, ?>) {
            return "a map";
        }
        return value.getClass().getSimpleName().toLowerCase(Locale.ROOT);
    }
}
