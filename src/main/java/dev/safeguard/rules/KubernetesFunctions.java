package dev.safeguard.rules;

import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.types.CelType;
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
 * runs unchanged in a ValidatingAdmissionPolicy. {@code selectorMatches()} is ours: label-selector
 * semantics that would be long and error-prone to spell out in every context rule.
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
                        CelOverloadDecl.newGlobalOverload("selectorMatches_dyn_dyn", SimpleType.BOOL, dyn, dyn)));
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
                        KubernetesFunctions::selectorMatches));
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
        if (!(selector instanceof Map<?, ?> selectorMap)) {
            return false;
        }
        Map<?, ?> labelMap = labels instanceof Map<?, ?> map ? map : Map.of();
        if (selectorMap.get("matchLabels") instanceof Map<?, ?> matchLabels) {
            for (Map.Entry<?, ?> required : matchLabels.entrySet()) {
                if (!required.getValue().equals(labelMap.get(required.getKey()))) {
                    return false;
                }
            }
        }
        if (selectorMap.get("matchExpressions") instanceof List<?> expressions) {
            for (Object expression : expressions) {
                if (!(expression instanceof Map<?, ?> requirement) || !requirementHolds(requirement, labelMap)) {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean requirementHolds(Map<?, ?> requirement, Map<?, ?> labels) {
        Object key = requirement.get("key");
        Object operator = requirement.get("operator");
        List<?> values = requirement.get("values") instanceof List<?> list ? list : List.of();
        Object actual = labels.get(key);
        return switch (String.valueOf(operator)) {
            case "In" -> actual != null && values.contains(actual);
            case "NotIn" -> actual == null || !values.contains(actual);
            case "Exists" -> labels.containsKey(key);
            case "DoesNotExist" -> !labels.containsKey(key);
            default -> false; // the API server rejects other operators; match nothing rather than everything
        };
    }
}
