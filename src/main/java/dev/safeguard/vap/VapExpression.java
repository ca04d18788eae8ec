package dev.safeguard.vap;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelMutableAst;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.ast.CelMutableExpr;
import dev.cel.common.ast.CelMutableExpr.CelMutableCall;
import dev.cel.common.ast.CelMutableExpr.CelMutableComprehension;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelParser;
import dev.cel.parser.CelParserFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.parser.CelUnparserFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One rule expression made ready for a ValidatingAdmissionPolicy, working on the parsed CEL AST:
 * <ul>
 * <li>free references to the engine's derived variables ({@code podSpec}, {@code containers}, ...,
 * {@code params}) become {@code variables.<name>}, as VAP expressions name their variables. Comprehension
 * variables that shadow those names are left alone; names inside strings or field selections are never
 * touched, because only identifier nodes are rewritten;</li>
 * <li>what the export needs to know is collected on the way: which free identifiers and functions the
 * expression uses, which fields it reads on the elements of {@code containers} (or of a rule variable that is a
 * list of containers, {@code variables.offenders}), and any use of those elements the export cannot reproduce (an
 * element used as a whole value, {@code containers} indexed).</li>
 * </ul>
 * Rule variables are already read as {@code variables.<name>}, as VAP expressions read them, and stay as written.
 * The rewritten text keeps the rule's own layout where possible: "variables." is inserted at the source
 * offsets of the rewritten identifiers, and the result is accepted only if it parses to exactly the rewritten
 * AST (compared through cel-java's unparser); otherwise the unparsed AST itself is used.
 */
final class VapExpression {

    /** Names a rewritten reference is prefixed with. */
    static final String VARIABLES = "variables";

    /** Identifiers that are CEL type names, not variables. */
    private static final Set<String> TYPE_NAMES = Set.of("bool", "bytes", "double", "duration", "dyn", "int", "list",
            "map", "null_type", "string", "timestamp", "type", "uint");

    /** The standard macros called on a receiver: {@code list.all(x, p)} and the like. */
    private static final Set<String> RECEIVER_MACROS = Set.of("all", "exists", "exists_one", "map", "filter");

    /** Parses what the engine's compiler accepts: standard macros, cel.bind, optional syntax. */
    private static final CelParser PARSER = CelParserFactory.standardCelParserBuilder()
            .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
            .addLibraries(CelExtensions.bindings())
            .setOptions(CelOptions.current().populateMacroCalls(true).enableOptionalSyntax(true).build())
            .build();

    /** The derived list whose elements are containers. */
    static final String CONTAINERS = "containers";

    private final String text;
    private final Set<String> freeIdentifiers;
    private final Set<String> functions;
    private final Set<String> containerFields;
    private final List<String> problems;
    private final boolean containerList;

    private VapExpression(String text, Set<String> freeIdentifiers, Set<String> functions,
            Set<String> containerFields, List<String> problems, boolean containerList) {
        this.text = text;
        this.freeIdentifiers = freeIdentifiers;
        this.functions = functions;
        this.containerFields = containerFields;
        this.problems = problems;
        this.containerList = containerList;
    }

    /**
     * Parses {@code expression} and rewrites the free identifiers in {@code rewritten} to
     * {@code variables.<name>}.
     *
     * @param containerVariables rule variables (read as {@code variables.<name>}) that hold containers, like
     *                           {@code containers}: their elements are tracked too
     */
    static VapExpression of(String expression, Set<String> rewritten, Set<String> containerVariables)
            throws CelValidationException {
        CelAbstractSyntaxTree parsed = PARSER.parse(expression).getAst();
        CelMutableAst ast = CelMutableAst.fromCelAst(parsed);
        Walk walk = new Walk(rewritten, containerVariables);
        // A variable may itself be a list of containers (containers.filter(...)): that is a use the export rebuilds.
        boolean containerList = walk.isContainerList(ast.expr(), Set.of(), Set.of());
        walk.visit(ast.expr(), Set.of(), Set.of(), containerList ? Context.ITERATION_RANGE : Context.OTHER);
        // Macros leave no call behind (cel.bind becomes a comprehension): name the namespaced ones used.
        for (CelMutableExpr call : ast.source().getMacroCalls().values()) {
            if (call.getKind() == CelExpr.ExprKind.Kind.CALL && call.call().target().isPresent()
                    && !RECEIVER_MACROS.contains(call.call().function())
                    && call.call().target().get().getKind() == CelExpr.ExprKind.Kind.IDENT) {
                walk.functions.add(call.call().target().get().ident().name() + "." + call.call().function());
            }
        }

        // Rewrite every free reference, in the expression and in the macro calls the unparser prints back.
        long nextId = maxId(ast) + 1;
        for (long id : walk.rewrite) {
            for (CelMutableExpr node : nodesWithId(ast, id)) {
                String name = node.ident().name();
                node.setSelect(CelMutableExpr.CelMutableSelect.create(CelMutableExpr.ofIdent(nextId++, VARIABLES), name));
            }
        }
        String unparsed = CelUnparserFactory.newUnparser().unparse(ast.toParsedAst());
        String spliced = splice(expression, parsed, walk.rewrite);
        String text = unparsed;
        try {
            if (CelUnparserFactory.newUnparser().unparse(PARSER.parse(spliced).getAst()).equals(unparsed)) {
                text = spliced;
            }
        } catch (CelValidationException e) {
            // keep the unparsed form
        }
        return new VapExpression(text, walk.free, walk.functions, walk.containerFields, walk.problems, containerList);
    }

    /** True when the whole expression is a list of containers: {@code containers} or a filter of such a list. */
    boolean containerList() {
        return containerList;
    }

    /** The expression with rewritten references. */
    String text() {
        return text;
    }

    /** Identifiers the expression reads from its environment (not comprehension variables or type names). */
    Set<String> freeIdentifiers() {
        return freeIdentifiers;
    }

    /**
     * Functions and operators called, by their CEL name ({@code _+_}, {@code size}, {@code matches}, ...), and
     * namespaced macros such as {@code cel.bind}.
     */
    Set<String> functions() {
        return functions;
    }

    /** Fields read on elements of the containers list (type and name included when read). */
    Set<String> containerFields() {
        return containerFields;
    }

    /** Uses of containers elements that an exported containers variable could not reproduce. */
    List<String> problems() {
        return problems;
    }

    /** Where a node sits, for the checks on how the containers list and its elements are used. */
    private enum Context {
        OTHER, ITERATION_RANGE, SIZE_ARGUMENT, SELECT_OPERAND
    }

    /** One pass over the AST with the comprehension scopes. */
    private static final class Walk {
        private final Set<String> rewritten;
        private final String containers = CONTAINERS;
        private final Set<String> containerVariables;
        final Set<Long> rewrite = new LinkedHashSet<>();
        final Set<String> free = new TreeSet<>();
        final Set<String> functions = new TreeSet<>();
        final Set<String> containerFields = new TreeSet<>();
        final List<String> problems = new ArrayList<>();
        /** Identifier nodes a filter macro's expansion uses to collect elements: not a use by the rule. */
        final Set<Long> filterElements = new HashSet<>();

        Walk(Set<String> rewritten, Set<String> containerVariables) {
            this.rewritten = rewritten;
            this.containerVariables = containerVariables;
        }

        /**
         * @param bound         comprehension variables in scope
         * @param elements      those of them bound to elements of the containers list
         */
        void visit(CelMutableExpr expr, Set<String> bound, Set<String> elements, Context context) {
            switch (expr.getKind()) {
                case IDENT -> ident(expr, bound, elements, context);
                case SELECT -> {
                    CelMutableExpr operand = expr.select().operand();
                    if (isElement(operand, elements)) {
                        containerFields.add(expr.select().field());
                    }
                    if (isContainerVariable(expr, bound)) {
                        free.add(VARIABLES);
                        if (context != Context.ITERATION_RANGE && context != Context.SIZE_ARGUMENT) {
                            problems.add(VARIABLES + "." + expr.select().field() + ", a list of containers, is used "
                                    + "other than by iterating over it or taking its size");
                        }
                        return;
                    }
                    visit(operand, bound, elements, Context.SELECT_OPERAND);
                }
                case CALL -> call(expr.call(), bound, elements);
                case LIST -> expr.list().elements().forEach(element -> visit(element, bound, elements, Context.OTHER));
                case MAP -> expr.map().entries().forEach(entry -> {
                    visit(entry.key(), bound, elements, Context.OTHER);
                    visit(entry.value(), bound, elements, Context.OTHER);
                });
                case STRUCT -> expr.struct().entries().forEach(entry -> visit(entry.value(), bound, elements, Context.OTHER));
                case COMPREHENSION -> comprehension(expr, bound, elements, context);
                default -> { } // constants, not-set
            }
        }

        private void ident(CelMutableExpr expr, Set<String> bound, Set<String> elements, Context context) {
            String name = expr.ident().name();
            if (bound.contains(name)) {
                if (elements.contains(name) && context != Context.SELECT_OPERAND && !filterElements.contains(expr.id())) {
                    problems.add("an element of " + containers + " ('" + name + "') is used as a whole value, "
                            + "not only through its fields");
                }
                return;
            }
            if (TYPE_NAMES.contains(name)) {
                return;
            }
            free.add(name);
            if (rewritten.contains(name)) {
                rewrite.add(expr.id());
            }
            if (name.equals(containers) && context != Context.ITERATION_RANGE && context != Context.SIZE_ARGUMENT) {
                problems.add(containers + " is used other than by iterating over it or taking its size");
            }
        }

        private void call(CelMutableCall call, Set<String> bound, Set<String> elements) {
            String function = call.function();
            functions.add(function);
            List<CelMutableExpr> args = call.args();
            if ("_?._".equals(function) && args.size() == 2 && isElement(args.get(0), elements)
                    && args.get(1).getKind() == CelExpr.ExprKind.Kind.CONSTANT
                    && args.get(1).constant().getKind() == CelConstant.Kind.STRING_VALUE) {
                // c.?field: an optional field read
                containerFields.add(args.get(1).constant().stringValue());
                visit(args.get(0), bound, elements, Context.SELECT_OPERAND);
                return;
            }
            call.target().ifPresent(target -> visit(target, bound, elements,
                    "size".equals(function) && args.isEmpty() ? Context.SIZE_ARGUMENT : Context.OTHER));
            for (CelMutableExpr arg : args) {
                visit(arg, bound, elements,
                        "size".equals(function) && args.size() == 1 && call.target().isEmpty()
                                ? Context.SIZE_ARGUMENT : Context.OTHER);
            }
        }

        private void comprehension(CelMutableExpr expr, Set<String> bound, Set<String> elements, Context context) {
            CelMutableComprehension comprehension = expr.comprehension();
            CelMutableExpr range = comprehension.iterRange();
            boolean overContainers = isContainerList(range, bound, elements);
            visit(range, bound, elements, Context.ITERATION_RANGE);
            visit(comprehension.accuInit(), bound, elements, Context.OTHER);

            Set<String> innerBound = new HashSet<>(bound);
            innerBound.add(comprehension.iterVar());
            innerBound.add(comprehension.accuVar());
            Set<String> innerElements = new HashSet<>(elements);
            innerElements.remove(comprehension.iterVar());
            innerElements.remove(comprehension.accuVar());
            boolean twoVariables = comprehension.iterVar2() != null && !comprehension.iterVar2().isEmpty();
            if (twoVariables) {
                innerBound.add(comprehension.iterVar2());
                innerElements.remove(comprehension.iterVar2());
            }
            if (overContainers) {
                if (twoVariables) {
                    problems.add("a two-variable comprehension iterates over " + containers);
                } else {
                    innerElements.add(comprehension.iterVar());
                    CelMutableExpr collected = filterElement(comprehension);
                    if (collected != null) {
                        filterElements.add(collected.id());
                        if (context != Context.ITERATION_RANGE && context != Context.SIZE_ARGUMENT) {
                            problems.add("the elements " + containers + ".filter(...) selects are used as whole "
                                    + "values, not only through their fields");
                        }
                    }
                }
            }
            visit(comprehension.loopCondition(), innerBound, innerElements, Context.OTHER);
            visit(comprehension.loopStep(), innerBound, innerElements, Context.OTHER);
            visit(comprehension.result(), innerBound, innerElements, Context.OTHER);
        }

        /**
         * The free containers identifier, a rule variable holding containers, or a filter macro over either (whose
         * result holds the same elements).
         */
        boolean isContainerList(CelMutableExpr expr, Set<String> bound, Set<String> elements) {
            if (expr.getKind() == CelExpr.ExprKind.Kind.IDENT) {
                return expr.ident().name().equals(containers) && !bound.contains(containers);
            }
            if (isContainerVariable(expr, bound)) {
                return true;
            }
            if (expr.getKind() == CelExpr.ExprKind.Kind.COMPREHENSION) {
                CelMutableComprehension inner = expr.comprehension();
                return filterElement(inner) != null && isContainerList(inner.iterRange(), bound, elements);
            }
            return false;
        }

        /** {@code variables.<name>} for a rule variable that holds containers. */
        private boolean isContainerVariable(CelMutableExpr expr, Set<String> bound) {
            return expr.getKind() == CelExpr.ExprKind.Kind.SELECT
                    && expr.select().operand().getKind() == CelExpr.ExprKind.Kind.IDENT
                    && expr.select().operand().ident().name().equals(VARIABLES) && !bound.contains(VARIABLES)
                    && containerVariables.contains(expr.select().field());
        }

        private static boolean isElement(CelMutableExpr expr, Set<String> elements) {
            return expr.getKind() == CelExpr.ExprKind.Kind.IDENT && elements.contains(expr.ident().name());
        }
    }

    /**
     * For a filter macro's expansion, {@code cond ? @result + [x] : @result}, the identifier node {@code x}
     * (the iteration variable itself); null for any other comprehension.
     */
    private static CelMutableExpr filterElement(CelMutableComprehension comprehension) {
        CelMutableExpr step = comprehension.loopStep();
        if (step.getKind() != CelExpr.ExprKind.Kind.CALL || !"_?_:_".equals(step.call().function())
                || step.call().args().size() != 3) {
            return null;
        }
        CelMutableExpr append = step.call().args().get(1);
        if (append.getKind() != CelExpr.ExprKind.Kind.CALL || !"_+_".equals(append.call().function())
                || append.call().args().size() != 2) {
            return null;
        }
        CelMutableExpr accumulator = append.call().args().get(0);
        CelMutableExpr list = append.call().args().get(1);
        if (accumulator.getKind() != CelExpr.ExprKind.Kind.IDENT
                || !accumulator.ident().name().equals(comprehension.accuVar())
                || list.getKind() != CelExpr.ExprKind.Kind.LIST || list.list().elements().size() != 1) {
            return null;
        }
        CelMutableExpr element = list.list().elements().get(0);
        return element.getKind() == CelExpr.ExprKind.Kind.IDENT
                && element.ident().name().equals(comprehension.iterVar()) ? element : null;
    }

    /** Every node with this id: in the expression and in the recorded macro calls (which share ids). */
    private static List<CelMutableExpr> nodesWithId(CelMutableAst ast, long id) {
        List<CelMutableExpr> found = new ArrayList<>();
        collect(ast.expr(), id, found);
        for (CelMutableExpr call : ast.source().getMacroCalls().values()) {
            collect(call, id, found);
        }
        return found;
    }

    private static void collect(CelMutableExpr expr, long id, List<CelMutableExpr> found) {
        if (expr.id() == id && expr.getKind() == CelExpr.ExprKind.Kind.IDENT) {
            found.add(expr);
        }
        for (CelMutableExpr child : children(expr)) {
            collect(child, id, found);
        }
    }

    private static long maxId(CelMutableAst ast) {
        long max = maxId(ast.expr());
        for (Map.Entry<Long, CelMutableExpr> call : ast.source().getMacroCalls().entrySet()) {
            max = Math.max(max, Math.max(call.getKey(), maxId(call.getValue())));
        }
        return max;
    }

    private static long maxId(CelMutableExpr expr) {
        long max = expr.id();
        for (CelMutableExpr child : children(expr)) {
            max = Math.max(max, maxId(child));
        }
        return max;
    }

    private static Collection<CelMutableExpr> children(CelMutableExpr expr) {
        List<CelMutableExpr> children = new ArrayList<>();
        switch (expr.getKind()) {
            case SELECT -> children.add(expr.select().operand());
            case CALL -> {
                expr.call().target().ifPresent(children::add);
                children.addAll(expr.call().args());
            }
            case LIST -> children.addAll(expr.list().elements());
            case MAP -> expr.map().entries().forEach(entry -> {
                children.add(entry.key());
                children.add(entry.value());
            });
            case STRUCT -> expr.struct().entries().forEach(entry -> children.add(entry.value()));
            case COMPREHENSION -> {
                CelMutableComprehension comprehension = expr.comprehension();
                children.add(comprehension.iterRange());
                children.add(comprehension.accuInit());
                children.add(comprehension.loopCondition());
                children.add(comprehension.loopStep());
                children.add(comprehension.result());
            }
            default -> { }
        }
        return children;
    }

    /** The original text with "variables." inserted where each rewritten identifier starts. */
    private static String splice(String expression, CelAbstractSyntaxTree parsed, Set<Long> ids) {
        Map<Long, Integer> positions = parsed.getSource().getPositionsMap();
        List<Integer> offsets = new ArrayList<>();
        for (long id : ids) {
            Integer offset = positions.get(id);
            if (offset == null) {
                return "";
            }
            offsets.add(offset);
        }
        offsets.sort(null);
        // Positions count code points; work on code points so that non-ASCII text before an identifier is safe.
        int[] codePoints = expression.codePoints().toArray();
        StringBuilder text = new StringBuilder(expression.length() + offsets.size() * 10);
        int next = 0;
        for (int i = 0; i < codePoints.length; i++) {
            while (next < offsets.size() && offsets.get(next) == i) {
                text.append(VARIABLES).append('.');
                next++;
            }
            text.appendCodePoint(codePoints[i]);
        }
        return text.toString();
    }
}
