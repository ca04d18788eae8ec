package dev.safeguard.cli;

import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RuleResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps): a test suite per source file and a test
 * case per rule result of each object (every rule that applies to it). A finding (a violation, or a rule error
 * under its onError) at or above --fail-on is a failure; one below it passes with the finding in system-out; an
 * exempted rule or an object in an excluded namespace is skipped; a rule error is also shown in system-err; the
 * remediation is a property of its own.
 */
final class JunitReport {

    /** One test case before it is written: a rule's result on an object, and whether it fails at --fail-on. */
    private record Case(String classname, String file, RuleResult result, boolean failure) {
        String skipped() {
            return switch (result.status()) {
                case SKIP -> result.reason();
                case EXEMPT -> "exempt (" + PolicyEngine.EXEMPT_ANNOTATION + "): " + result.reason();
                default -> null;
            };
        }
    }

    private JunitReport() {
    }

    static void write(CheckReport report, PrintWriter out) throws IOException {
        Map<String, List<Case>> suites = new LinkedHashMap<>();
        for (CheckReport.ObjectResult result : report.results()) {
            suites.computeIfAbsent(result.manifest().source(), source -> new ArrayList<>())
                    .addAll(cases(report, result));
        }
        try {
            XMLStreamWriter xml = XMLOutputFactory.newInstance().createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuites");
            xml.writeAttribute("name", "safeguard check");
            counts(xml, suites.values().stream().flatMap(List::stream).toList());
            for (Map.Entry<String, List<Case>> suite : suites.entrySet()) {
                xml.writeCharacters("\n  ");
                xml.writeStartElement("testsuite");
                xml.writeAttribute("name", clean(suite.getKey()));
                counts(xml, suite.getValue());
                for (Case testCase : suite.getValue()) {
                    xml.writeCharacters("\n    ");
                    write(xml, testCase);
                }
                xml.writeCharacters("\n  ");
                xml.writeEndElement();
            }
            xml.writeCharacters("\n");
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.writeCharacters("\n");
            xml.flush();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write the JUnit report: " + e.getMessage(), e);
        }
    }

    private static List<Case> cases(CheckReport report, CheckReport.ObjectResult result) {
        List<Case> cases = new ArrayList<>();
        for (RuleResult rule : result.decision().results()) {
            cases.add(new Case(result.reference(), result.manifest().source(), rule, report.fails(rule)));
        }
        return cases;
    }

    private static void write(XMLStreamWriter xml, Case testCase) throws XMLStreamException {
        RuleResult result = testCase.result();
        CheckReport.Outcome outcome = CheckReport.Outcome.of(result);
        xml.writeStartElement("testcase");
        xml.writeAttribute("name", result.ruleId());
        xml.writeAttribute("classname", clean(testCase.classname()));
        xml.writeAttribute("file", clean(testCase.file()));
        if (result.remediation() != null) {
            // The fix on its own, for report views that show test case properties.
            xml.writeStartElement("properties");
            xml.writeEmptyElement("property");
            xml.writeAttribute("name", "remediation");
            xml.writeAttribute("value", clean(result.remediation()));
            xml.writeEndElement();
        }
        if (testCase.skipped() != null) {
            xml.writeEmptyElement("skipped");
            xml.writeAttribute("message", clean(testCase.skipped()));
        } else if (testCase.failure()) {
            xml.writeStartElement("failure");
            xml.writeAttribute("type", outcome.id());
            xml.writeAttribute("message", clean(result.message() != null ? result.message() : result.text()));
            xml.writeCharacters(clean(result.describe(testCase.classname())));
            xml.writeEndElement();
        } else if (outcome != null) {
            xml.writeStartElement("system-out");
            xml.writeCharacters(clean(outcome.id() + " " + result.describe()));
            xml.writeEndElement();
        }
        if (result.error() != null) {
            xml.writeStartElement("system-err");
            xml.writeCharacters(clean("rule error: " + result.error()));
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }

    private static void counts(XMLStreamWriter xml, List<Case> cases) throws XMLStreamException {
        xml.writeAttribute("tests", String.valueOf(cases.size()));
        xml.writeAttribute("failures", String.valueOf(cases.stream().filter(c -> c.skipped() == null && c.failure()).count()));
        xml.writeAttribute("errors", "0");
        xml.writeAttribute("skipped", String.valueOf(cases.stream().filter(c -> c.skipped() != null).count()));
    }

    /** XML 1.0 cannot carry most control characters, even escaped: drop them. */
    private static String clean(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder clean = new StringBuilder(text.length());
        text.codePoints().filter(c -> c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && (c < 0xD800 || c > 0xDFFF) && c != 0xFFFE && c != 0xFFFF))
                .forEach(clean::appendCodePoint);
        return clean.toString();
    }
}
