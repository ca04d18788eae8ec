package dev.safeguard.rules;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
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
import java.util.List;
import java.util.Set;

/**
 * Compiles rule definitions into {@link CompiledRule}s: type-checks both CEL expressions against the
 * variables every rule sees, so that a typo is a load error with a position, never a runtime surprise.
 * One instance holds the CEL environment and is safe to share.
 */
public final class RuleCompiler {

    /** The variables every rule sees, in the order docs list them. */
    public static final List<String> VARIABLES = List.of(
            "object", "oldObject", "request", "params", "podSpec", "podSpecPath", "podLabels", "containers", "replicas",
            "related");

    private static final Set<CelKind> ACCEPTED_FOR_DYN = Set.of(CelKind.DYN, CelKind.ANY);

    private final CelCompiler compiler;
    private final CelRuntime runtime;

    public RuleCompiler() {
        CelOptions options = CelOptions.current()
                .enableHeterogeneousNumericComparisons(true)
                // A rule iterates containers, ports, volumes: small lists. The bound stops a runaway rule
                // from holding an admission request hostage.
                .comprehensionMaxIterations(100_000)
                .build();
        MapType stringToDyn = MapType.create(SimpleType.STRING, SimpleType.DYN);
        compiler = CelCompilerFactory.standardCelCompilerBuilder()
                .setOptions(options)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                // cel.bind(name, value, expr) lets a rule name a sub-expression instead of repeating it.
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
                .build();
        runtime = CelRuntimeFactory.standardCelRuntimeBuilder()
                .setOptions(options)
                .addLibraries(CelExtensions.strings())
                .addFunctionBindings(KubernetesFunctions.bindings())
                .build();
    }

    /**
     * Compiles one rule.
     *
     * @param source the file the rule came from, for error messages
     * @throws RuleLoadException naming the source, the rule, the field and the CEL position
     */
    public CompiledRule compile(RuleDefinition definition, String source) throws RuleLoadException {
        validateShape(definition, source);
        CelRuntime.Program validation = program(definition, source, "validation", definition.validation(), SimpleType.BOOL);
        CelRuntime.Program message = program(definition, source, "message", definition.message(), SimpleType.STRING);
        return new CompiledRule(definition, source, validation, message);
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

    private CelRuntime.Program program(RuleDefinition definition, String source, String field, String expression,
            CelType expected) throws RuleLoadException {
        CelValidationResult result = compiler.compile(expression, field);
        CelAbstractSyntaxTree ast;
        try {
            ast = result.getAst();
        } catch (CelValidationException e) {
            throw new RuleLoadException(source, definition.id(),
                    field + " does not compile:\n" + result.getErrorString(), e);
        }
        CelKind kind = ast.getResultType().kind();
        if (kind != expected.kind() && !ACCEPTED_FOR_DYN.contains(kind)) {
            throw new RuleLoadException(source, definition.id(), field + " must return " + expected.name()
                    + " but returns " + ast.getResultType().name());
        }
        try {
            return runtime.createProgram(ast);
        } catch (CelEvaluationException e) {
            throw new RuleLoadException(source, definition.id(), field + " cannot be planned: " + e.getMessage(), e);
        }
    }
}
