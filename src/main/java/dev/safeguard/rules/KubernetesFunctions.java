package dev.safeguard.rules;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.runtime.CelFunctionBinding;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * The CEL functions rules may use beyond standard CEL and the strings extension.
 *
 * <p>{@code quantity()} and its methods follow the Kubernetes CEL quantity library, so a rule using them
 * runs unchanged in a ValidatingAdmissionPolicy. {@code selectorMatches()}, {@code selecting()} and
 * {@code selectedBy()} are ours: label-selector semantics that would be long and error-prone to spell out in every
 * context rule, and (on {@code related} lists) looked up in indexes instead of tried object by object.
 */
final class KubernetesFunctions {

    static final OpaqueType QUANTITY = OpaqueType.create("kubernetes.Quantity");

    /** A parsed resource quantity ("500m", "1Gi") as its exact amount. */
    record QuantityValue(BigDecimal amount) {
    }

    private KubernetesFunctions() {
    }

    static List<CelFunctionDecl> declarations() {
        CelType dyn = SimpleType.DYN;
        CelType objects = ListType.create(dyn);
        return List.of(
                CelFunctionDecl.newFunctionDeclaration("quantity",
                        CelOverloadDecl.newGlobalOverload("quantity_string", QUANTITY, SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration("isQuantity",
                        CelOverloadDecl.newGlobalOverload("isQuantity_string", SimpleType.BOOL, SimpleType.STRING)),
                CelFunctionDecl.newFunctionDeclaration("compareTo",
                        CelOverloadDecl.newMemberOverload("quantity_compareTo_quantity", SimpleType.INT, QUANTITY, QUANTITY)),
                CelFunctionDecl.newFunctionDeclaration("isLessThan",
                        CelOverloadDecl.newMemberOverload("quantity_isLessThan_quantity", SimpleType.BOOL, QUANTITY, QUANTITY)),
                CelFunctionDecl.newFunctionDeclaration("isGreaterThan",
                        CelOverloadDecl.newMemberOverload("quantity_isGreaterThan_quantity", SimpleType.BOOL, QUANTITY, QUANTITY)),
                CelFunctionDecl.newFunctionDeclaration("asApproximateFloat",
                        CelOverloadDecl.newMemberOverload("quantity_asApproximateFloat", SimpleType.DOUBLE, QUANTITY)),
                CelFunctionDecl.newFunctionDeclaration("selectorMatches",
                        CelOverloadDecl.newGlobalOverload("selectorMatches_dyn_dyn", SimpleType.BOOL, dyn, dyn)),
                CelFunctionDecl.newFunctionDeclaration("selecting",
                        CelOverloadDecl.newMemberOverload("selecting_dyn_dyn", objects, dyn, dyn)),
                CelFunctionDecl.newFunctionDeclaration("selectedBy",
                        CelOverloadDecl.newMemberOverload("selectedBy_dyn_dyn", objects, dyn, dyn)));
    }

    static List<CelFunctionBinding> bindings() {
        return List.of(
                CelFunctionBinding.from("quantity_string", String.class, KubernetesFunctions::quantity),
                CelFunctionBinding.from("isQuantity_string", String.class, KubernetesFunctions::isQuantity),
                CelFunctionBinding.from("quantity_compareTo_quantity", QuantityValue.class, QuantityValue.class,
                        (left, right) -> (long) left.amount().compareTo(right.amount())),
                CelFunctionBinding.from("quantity_isLessThan_quantity", QuantityValue.class, QuantityValue.class,
                        (left, right) -> left.amount().compareTo(right.amount()) < 0),
                CelFunctionBinding.from("quantity_isGreaterThan_quantity", QuantityValue.class, QuantityValue.class,
                        (left, right) -> left.amount().compareTo(right.amount()) > 0),
                CelFunctionBinding.from("quantity_asApproximateFloat", QuantityValue.class,
                        value -> value.amount().doubleValue()),
                CelFunctionBinding.from("selectorMatches_dyn_dyn", Object.class, Object.class,
                        KubernetesFunctions::selectorMatches),
                CelFunctionBinding.from("selecting_dyn_dyn", Object.class, Object.class, KubernetesFunctions::selecting),
                CelFunctionBinding.from("selectedBy_dyn_dyn", Object.class, Object.class, KubernetesFunctions::selectedBy));
    }

    private static QuantityValue quantity(String text) {
        // fabric8's model parses the full Kubernetes quantity grammar (binary and decimal suffixes, exponents).
        try {
            return new QuantityValue(Quantity.getAmountInBytes(Quantity.parse(text)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a Kubernetes quantity", e);
        }
    }

    private static boolean isQuantity(String text) {
        try {
            quantity(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Label-selector semantics of metav1.LabelSelector: every matchLabels pair and every matchExpressions
     * requirement must hold; an empty selector matches everything. (A missing selector, which matches
     * nothing for a PodDisruptionBudget, is for the rule to check with has().)
     */
    static boolean selectorMatches(Object selector, Object labels) {
        return LabelSelector.of(selector).matches(labels);
    }

    /** The objects of {@code list} whose spec.selector selects {@code labels}: indexed for related lists. */
    private static List<?> selecting(Object list, Object labels) {
        if (list instanceof RelatedList related) {
            return related.selecting(labels);
        }
        return elements(list).stream().filter(element -> element instanceof Map<?, ?> object
                && LabelSelector.ofObject(cast(object)).matches(labels)).toList();
    }

    /** The objects of {@code list} whose pods' labels {@code selector} selects: indexed for related lists. */
    private static List<?> selectedBy(Object list, Object selector) {
        if (list instanceof RelatedList related) {
            return related.selectedBy(selector);
        }
        LabelSelector parsed = LabelSelector.of(selector);
        return elements(list).stream().filter(element -> element instanceof Map<?, ?> object
                && parsed.matches(Workload.podLabelsOf(cast(object)))).toList();
    }

    private static List<?> elements(Object list) {
        if (list instanceof List<?> elements) {
            return elements;
        }
        throw new IllegalArgumentException("expected a list of objects, got " + Params.describe(list));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }
}
