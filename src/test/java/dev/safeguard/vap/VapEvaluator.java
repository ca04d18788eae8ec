package dev.safeguard.vap;

import com.google.protobuf.NullValue;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import dev.safeguard.rules.RulesTestSupport;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Evaluates an exported ValidatingAdmissionPolicy the way the API server does, with cel-java configured like
 * the Kubernetes CEL environment: dyn object and request, a {@code variables} map, homogeneous aggregate
 * literals, optional types, the strings and quantity libraries, cross-type numeric comparisons, and nothing
 * of kube-safeguard's own (no selectorMatches, no derived variables but through {@code variables}).
 */
public final class VapEvaluator {

    static final CelOptions OPTIONS = CelOptions.current()
            .enableHomogeneousLiterals(true)
            .enableOptionalSyntax(true)
            .enableHeterogeneousNumericComparisons(true)
            .build();

    static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
            .setOptions(OPTIONS)
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addLibraries(CelExtensions.strings(), CelExtensions.optional())
            .addFunctionDeclarations(RulesTestSupport.kubernetesQuantityDeclarations())
            .addVar("object", SimpleType.DYN)
            .addVar("oldObject", SimpleType.DYN)
            .addVar("request", SimpleType.DYN)
            .addVar("variables", MapType.create(SimpleType.STRING, SimpleType.DYN))
            .build();

    static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
            .setOptions(OPTIONS)
            .addLibraries(CelExtensions.strings(), CelExtensions.optional())
            .addFunctionBindings(RulesTestSupport.kubernetesQuantityBindings())
            .build();

    /**
     * What the policy does with an object: not matched (a match condition is false), an error (failurePolicy
     * Ignore lets the object through), or the validation's verdict with the rendered message.
     */
    public record Outcome(boolean matched, boolean violated, String message, String error) {
    }

    private VapEvaluator() {
    }

    public static CelAbstractSyntaxTree compile(String expression) throws CelValidationException {
        return COMPILER.compile(expression).getAst();
    }

    @SuppressWarnings("unchecked")
    public static Outcome evaluate(Map<String, Object> policy, Map<String, Object> object, String namespace) throws Exception {
        Map<String, Object> spec = (Map<String, Object>) policy.get("spec");
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("operation", "CREATE");
        if (namespace != null) {
            request.put("namespace", namespace);
        }
        request.put("userInfo", Map.of());
        request.put("dryRun", false);
        Map<String, Object> variables = new LinkedHashMap<>();
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("object", object);
        input.put("oldObject", NullValue.NULL_VALUE);
        input.put("request", request);
        input.put("variables", variables);
        try {
            for (Map<String, Object> condition : (List<Map<String, Object>>) spec.getOrDefault("matchConditions", List.of())) {
                if (!Boolean.TRUE.equals(eval((String) condition.get("expression"), input))) {
                    return new Outcome(false, false, null, null);
                }
            }
            // As the API server does: each variable is evaluated when an expression first reads it, then kept.
            for (Map<String, Object> variable : (List<Map<String, Object>>) spec.getOrDefault("variables", List.of())) {
                variables.put((String) variable.get("name"), variable.get("expression"));
            }
            input.put("variables", new LazyVariables(variables, input));
            Map<String, Object> validation = ((List<Map<String, Object>>) spec.get("validations")).get(0);
            boolean passed = Boolean.TRUE.equals(eval((String) validation.get("expression"), input));
            String message = passed ? null : (String) eval((String) validation.get("messageExpression"), input);
            return new Outcome(true, !passed, message, null);
        } catch (CelEvaluationException | IllegalStateException e) {
            return new Outcome(true, false, null, e.getMessage());
        }
    }

    private static Object eval(String expression, Map<String, Object> input) throws Exception {
        return RUNTIME.createProgram(compile(expression)).eval(input);
    }

    /** {@code variables}: name to expression, evaluated on first read (an error surfaces where it is read). */
    private static final class LazyVariables extends AbstractMap<String, Object> {
        private final Map<String, Object> expressions;
        private final Map<String, Object> input;
        private final Map<String, Object> values = new HashMap<>();

        LazyVariables(Map<String, Object> expressions, Map<String, Object> input) {
            this.expressions = expressions;
            this.input = input;
        }

        @Override
        public Object get(Object key) {
            if (!expressions.containsKey(key)) {
                return null;
            }
            if (!values.containsKey(key)) { // not computeIfAbsent: a variable may read the variables before it
                try {
                    values.put((String) key, eval((String) expressions.get(key), input));
                } catch (Exception e) {
                    throw new IllegalStateException("variables." + key + ": " + e.getMessage(), e);
                }
            }
            return values.get(key);
        }

        @Override
        public boolean containsKey(Object key) {
            return expressions.containsKey(key);
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            Set<Entry<String, Object>> entries = new LinkedHashSet<>();
            expressions.keySet().forEach(name -> entries.add(new SimpleImmutableEntry<>(name, get(name))));
            return entries;
        }
    }
}
