package dev.safeguard.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.CelKind;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compiles rule definitions into {@link CompiledRule}s: checks the params, type-checks every CEL expression
 * (variables, validation, message) against the variables every rule sees, and parses the remediation, so that a
 * typo is a load error naming the rule, the field and the position, never a runtime surprise. One instance holds
 * the CEL environment and is safe to share.
 *
 * <p>The built-in pack's expressions come type-checked from the build ({@link PrecompiledExpressions}); the CEL
 * compiler is built only when an expression is not there (a custom rule, an edited or stale pack), so a run that
 * uses only the built-in pack never builds it. Either way every expression passes the same checks below.
 */
public final class RuleCompiler {

    /** The variables every rule sees, in the order docs list them. */
    public static final List<String> VARIABLES = List.of(
            "object", "oldObject", "request", "params", "podSpec", "podSpecPath", "podLabels", "containers", "replicas",
            "related", "variables");

    /** Where a rule's own variables are read: {@code variables.<name>}, as in a ValidatingAdmissionPolicy. */
    public static final String RULE_VARIABLES = "variables";

    private static final Set<CelKind> ACCEPTED_FOR_DYN = Set.of(CelKind.DYN, CelKind.ANY);
    private static final Set<CelKind> INTERPOLATABLE = Set.of(CelKind.STRING, CelKind.INT, CelKind.UINT, CelKind.BOOL,
            CelKind.DYN, CelKind.ANY);

    private final CelOptions options;
    /** Built on its own thread, overlapping the caller reading rule files (a short run is mostly start-up). */
    private final CompletableFuture<CelRuntime> runtime;
    private final String environment;
    private final PrecompiledExpressions precompiled;
    /** Where expressions compiled from source are recorded (the build's {@link PrecompiledPackWriter}), or null. */
    private final Map<String, CelAbstractSyntaxTree> recorder;
    /** Built on the first expression that is not precompiled: about 0.6 s of a cold start. */
    private volatile CelCompiler compiler;

    /** A compiler that takes the built-in pack's expressions precompiled at build time where they are fresh. */
    public RuleCompiler() {
        this(null, null);
    }

    /** {@code precompiled} null: the shipped {@link PrecompiledExpressions#builtIn}. */
    RuleCompiler(PrecompiledExpressions precompiled, Map<String, CelAbstractSyntaxTree> recorder) {
        options = CelOptions.current()
                .enableHeterogeneousNumericComparisons(true)
                // Per expression evaluation; with the engine's step budget (EvaluationBudget) it keeps one rule from
                // holding an admission request hostage.
                .comprehensionMaxIterations(EvaluationBudget.MAX_ITERATIONS)
                .build();
        CelOptions runtimeOptions = options;
        runtime = new CompletableFuture<>();
        Thread builder = new Thread(() -> {
            try {
                runtime.complete(CelRuntimeFactory.standardCelRuntimeBuilder()
                        .setOptions(runtimeOptions)
                        .addLibraries(CelExtensions.strings())
                        .addFunctionBindings(KubernetesFunctions.bindings())
                        .build());
            } catch (Throwable e) {
                runtime.completeExceptionally(e);
            }
        }, "safeguard-cel-runtime");
        builder.setDaemon(true);
        builder.start();
        environment = environment(options);
        this.precompiled = precompiled != null ? precompiled : PrecompiledExpressions.builtIn(environment);
        this.recorder = recorder;
    }

    /** Compiles everything from source, ignoring precompiled expressions. */
    static RuleCompiler fromSource() {
        return new RuleCompiler(PrecompiledExpressions.none(), null);
    }

    /** Compiles everything from source and puts each checked expression into {@code recorder} by {@link #key}. */
    static RuleCompiler recording(Map<String, CelAbstractSyntaxTree> recorder) {
        return new RuleCompiler(PrecompiledExpressions.none(), recorder);
    }

    private CelCompiler compiler() {
        CelCompiler built = compiler;
        if (built == null) {
            synchronized (this) {
                if (compiler == null) {
                    compiler = buildCompiler(options);
                }
                built = compiler;
            }
        }
        return built;
    }

    private static CelCompiler buildCompiler(CelOptions options) {
        MapType stringToDyn = MapType.create(SimpleType.STRING, SimpleType.DYN);
        return CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(options)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                // cel.bind(name, value, expr) names a sub-expression inside one expression; rule-level variables
                // (variables.<name>) are shared by all of them and exported to ValidatingAdmissionPolicies.
                .addLibraries(CelExtensions.strings(), CelExtensions.bindings())
                .addFunctionDeclarations(KubernetesFunctions.declarations())
                .addVar("object", SimpleType.DYN)
                .addVar("oldObject", SimpleType.DYN)
                .addVar("request", stringToDyn)
                .addVar("params", stringToDyn)
                .addVar("podSpec", stringToDyn)
                .addVar("podSpecPath", SimpleType.STRING)
                .addVar("podLabels", stringToDyn)
                .addVar("containers", ListType.create(SimpleType.DYN))
                .addVar("replicas", SimpleType.INT)
                .addVar("related", stringToDyn)
                .addVar(RULE_VARIABLES, stringToDyn)
                .build();
    }

    /**
     * What a checked expression depends on besides its text, as a hash: the cel-java version, the options, and the
     * code that declares the environment (this class and the Kubernetes functions, as compiled). Any change there
     * makes every precompiled expression miss.
     */
    private static String environment(CelOptions options) {
        StringBuilder description = new StringBuilder()
                .append("cel-java ").append(celVersion()).append('\n')
                .append(options).append('\n');
        for (Class<?> type : List.of(RuleCompiler.class, KubernetesFunctions.class)) {
            description.append(type.getName()).append(' ').append(HexFormat.of().formatHex(
                    PrecompiledExpressions.sha256(classBytes(type)))).append('\n');
        }
        return HexFormat.of().formatHex(PrecompiledExpressions.sha256(description.toString()
                .getBytes(StandardCharsets.UTF_8)));
    }

    /** The cel-java version the build used (a filtered resource: cel-java's jars do not say). */
    private static String celVersion() {
        try (InputStream in = RuleCompiler.class.getResourceAsStream("cel.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static byte[] classBytes(Class<?> type) {
        String resource = type.getName().replace('.', '/') + ".class";
        try (InputStream in = type.getClassLoader().getResourceAsStream(resource)) {
            // Without its bytes the environment cannot be told apart: a key nothing was stored under, so all miss.
            return in == null ? ("unreadable " + System.nanoTime()).getBytes(StandardCharsets.UTF_8) : in.readAllBytes();
        } catch (IOException e) {
            return ("unreadable " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** The hash of the CEL environment that checked expressions depend on. */
    String environment() {
        return environment;
    }

    /** The key of an expression in {@link PrecompiledExpressions}: the environment, the field, the text. */
    String key(String field, String expression) {
        return HexFormat.of().formatHex(PrecompiledExpressions.sha256((environment + '\n' + field + '\n' + expression)
                .getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Compiles one rule.
     *
     * @param source the file the rule came from, for error messages
     * @throws RuleLoadException naming the source, the rule, the field and the CEL position
     */
    public CompiledRule compile(RuleDefinition definition, String source) throws RuleLoadException {
        validateShape(definition, source);
        String id = definition.id();
        Params params;
        try {
            params = Params.of(definition.params());
        } catch (InvalidParamException e) {
            throw new RuleLoadException(source, id, e.getMessage(), e);
        }
        List<CompiledRule.Variable> variables = new ArrayList<>();
        Set<String> declared = new LinkedHashSet<>();
        List<CelAbstractSyntaxTree> asts = new ArrayList<>();
        for (int i = 0; i < definition.variables().size(); i++) {
            RuleDefinition.Variable variable = definition.variables().get(i);
            String where = "variables[" + i + "]";
            String name = variableName(variable, where, declared, source, id);
            String field = RULE_VARIABLES + "." + name;
            if (variable.expression() == null || variable.expression().isBlank()) {
                throw new RuleLoadException(source, id, where + ": variable '" + name + "' needs an expression");
            }
            CelAbstractSyntaxTree ast = check(id, source, field, variable.expression(), null);
            checkVariableReferences(ast, field, declared, source, id, "declared before it");
            variables.add(new CompiledRule.Variable(name, i, variable.expression(), program(ast, id, source, field)));
            declared.add(name);
            asts.add(ast);
        }
        CelAbstractSyntaxTree validation = check(id, source, "validation", definition.validation(), SimpleType.BOOL);
        CelAbstractSyntaxTree message = check(id, source, "message", definition.message(), SimpleType.STRING);
        for (CelAbstractSyntaxTree ast : List.of(validation, message)) {
            checkVariableReferences(ast, ast == validation ? "validation" : "message", declared, source, id, "declared");
        }
        asts.add(validation);
        asts.add(message);
        checkParamReferences(asts, params, source, id);
        Remediation remediation = null;
        if (definition.remediation() != null) {
            if (definition.remediation().isBlank()) {
                throw new RuleLoadException(source, id, "remediation is empty: say how to fix a violation, or leave it out");
            }
            try {
                remediation = Remediation.parse(definition.remediation(), declared);
            } catch (IllegalArgumentException e) {
                throw new RuleLoadException(source, id, "remediation: " + e.getMessage(), e);
            }
            for (String name : remediation.names()) {
                if (declared.contains(name)) {
                    CelType type = asts.get(definition.variables().stream().map(RuleDefinition.Variable::name).toList()
                            .indexOf(name)).getResultType();
                    if (!INTERPOLATABLE.contains(type.kind())) {
                        throw new RuleLoadException(source, id, "remediation interpolates {{" + name + "}}, a "
                                + type.name() + ": only a string, int or bool can be written into the text "
                                + "(join a list into a string in the variable)");
                    }
                }
            }
        }
        return new CompiledRule(definition, source, params, variables, program(validation, id, source, "validation"),
                program(message, id, source, "message"), remediation);
    }

    private static String variableName(RuleDefinition.Variable variable, String where, Set<String> declared,
            String source, String id) throws RuleLoadException {
        String name = variable == null ? null : variable.name();
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new RuleLoadException(source, id, where + ": variable name '" + name + "' must be a CEL identifier "
                    + "(letters, digits and '_', not starting with a digit), read as variables.<name>");
        }
        if (VARIABLES.contains(name)) {
            throw new RuleLoadException(source, id, where + ": variable name '" + name + "' is the name of a variable "
                    + "every rule sees (" + String.join(", ", VARIABLES) + "): choose another");
        }
        if (declared.contains(name)) {
            throw new RuleLoadException(source, id, where + ": variable '" + name + "' is declared twice");
        }
        return name;
    }

    private static void validateShape(RuleDefinition definition, String source) throws RuleLoadException {
        String id = definition.id();
        if (id == null || !id.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new RuleLoadException(source, id, "id must be kebab-case (lower-case letters, digits, '-')");
        }
        for (var field : new Object[][] {{"title", definition.title()}, {"category", definition.category()},
                {"action", definition.action()}, {"match", definition.match()},
                {"validation", definition.validation()}, {"message", definition.message()}}) {
            if (field[1] == null) {
                throw new RuleLoadException(source, id, "field '" + field[0] + "' is required and has no value");
            }
        }
        if (definition.onError() == Action.OFF) {
            throw new RuleLoadException(source, id, "onError must be deny, warn or audit: an error is never ignored");
        }
        if (definition.match().kinds().isEmpty()) {
            throw new RuleLoadException(source, id, "match.kinds must name at least one kind");
        }
        if (definition.validation().isBlank()) {
            throw new RuleLoadException(source, id, "validation must be a CEL expression");
        }
        if (definition.message().isBlank()) {
            throw new RuleLoadException(source, id, "message must be a CEL expression");
        }
    }

    /**
     * Parses and type-checks one expression, or takes it precompiled; {@code expected} null accepts any result type.
     * A precompiled expression passes the same checks after this as a compiled one.
     */
    private CelAbstractSyntaxTree check(String id, String source, String field, String expression, CelType expected)
            throws RuleLoadException {
        String key = key(field, expression);
        CelAbstractSyntaxTree ast = precompiled.find(key).orElse(null);
        if (ast == null) {
            CelValidationResult result = compiler().compile(expression, field);
            try {
                ast = result.getAst();
            } catch (CelValidationException e) {
                throw new RuleLoadException(source, id, field + " does not compile:\n" + result.getErrorString(), e);
            }
            if (recorder != null) {
                recorder.put(key, ast);
            }
        }
        CelKind kind = ast.getResultType().kind();
        if (expected != null && kind != expected.kind() && !ACCEPTED_FOR_DYN.contains(kind)) {
            throw new RuleLoadException(source, id, field + " must return " + expected.name()
                    + " but returns " + ast.getResultType().name());
        }
        return ast;
    }

    private CelRuntime.Program program(CelAbstractSyntaxTree ast, String id, String source, String field)
            throws RuleLoadException {
        try {
            return runtime.join().createProgram(ast);
        } catch (CelEvaluationException e) {
            throw new RuleLoadException(source, id, field + " cannot be planned: " + e.getMessage(), e);
        }
    }

    /** Every {@code variables.<name>} must name a variable declared before: no typos, no cycles, VAP order. */
    private static void checkVariableReferences(CelAbstractSyntaxTree ast, String field, Set<String> declared,
            String source, String id, String how) throws RuleLoadException {
        for (Optional<String> selected : globalSelects(ast, RULE_VARIABLES)) {
            if (selected.isEmpty()) {
                throw new RuleLoadException(source, id, field + " uses 'variables' as a whole: read one variable as "
                        + "variables.<name>");
            }
            if (!declared.contains(selected.get())) {
                throw new RuleLoadException(source, id, field + " reads variables." + selected.get() + ", but no "
                        + "variable of that name is " + how + " (" + (declared.isEmpty() ? "none" : String.join(", ",
                                declared)) + ")");
            }
        }
    }

    /** Every {@code params.<name>} an expression reads must be a declared param. */
    private static void checkParamReferences(List<CelAbstractSyntaxTree> asts, Params params, String source, String id)
            throws RuleLoadException {
        Set<String> unknown = new TreeSet<>();
        for (CelAbstractSyntaxTree ast : asts) {
            for (Optional<String> selected : globalSelects(ast, "params")) {
                selected.filter(name -> !params.declares(name)).ifPresent(unknown::add);
            }
        }
        if (!unknown.isEmpty()) {
            throw new RuleLoadException(source, id, "the expressions read params." + String.join(", params.", unknown)
                    + ", which the rule does not declare (declared: " + (params.isEmpty() ? "none"
                            : String.join(", ", params.declared().stream().map(Params.Param::name).toList())) + ")");
        }
    }

    /**
     * For each use of the global variable {@code root} (not a comprehension variable of that name): the field it is
     * selected with ({@code root.field} or {@code has(root.field)}), or empty when it is used otherwise.
     */
    private static List<Optional<String>> globalSelects(CelAbstractSyntaxTree ast, String root) {
        List<Optional<String>> uses = new ArrayList<>();
        CelNavigableAst.fromAst(ast).getRoot().allNodes().forEach(node -> {
            CelExpr expr = node.expr();
            if (expr.exprKind().getKind() != CelExpr.ExprKind.Kind.IDENT || !expr.ident().name().equals(root)
                    || ast.getReference(expr.id()).map(reference -> !reference.name().equals(root)).orElse(true)) {
                return;
            }
            Optional<CelNavigableExpr> parent = node.parent();
            if (parent.isPresent() && parent.get().expr().exprKind().getKind() == CelExpr.ExprKind.Kind.SELECT) {
                uses.add(Optional.of(parent.get().expr().select().field()));
            } else {
                uses.add(Optional.empty());
            }
        });
        return uses;
    }
}
