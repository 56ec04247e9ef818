using System.Text;
using Witness.Events;

namespace Witness.Catalog;

/// <summary>
/// An action's message template, parsed once into literal text and placeholders so that rendering
/// an event does no parsing. Rendering never throws and never yields an empty sentence: a
/// placeholder without a value renders as <see cref="MissingValue"/>, so
/// <c>Created a new inbox (#{{target.id}})</c> without a target reads <c>Created a new inbox (#?)</c>.
/// Instances are immutable and safe to share between threads.
/// </summary>
public sealed class CompiledTemplate
{
    /// <summary>What a placeholder without a value renders as.</summary>
    public const string MissingValue = "?";

    /// <summary>The longest template accepted, in characters.</summary>
    public const int MaxTemplateLength = 1024;

    /// <summary>The longest rendered text, in characters: the limit of an event's description.</summary>
    public const int MaxRenderedLength = EventLimits.MaxLongText;

    private readonly TemplatePart[] parts;
    private readonly int literalLength;

    private CompiledTemplate(string source, TemplatePart[] parts)
    {
        Source = source;
        this.parts = parts;
        literalLength = parts.Sum(p => p.Literal?.Length ?? 0);
        Placeholders = parts.Where(p => p.Placeholder is not null).Select(p => p.Placeholder!.Expression).Distinct().ToArray();
    }

    /// <summary>The template as written.</summary>
    public string Source { get; }

    /// <summary>The distinct placeholder expressions in order of first use, without braces, e.g. <c>target.id</c>, <c>changes.after.role</c>.</summary>
    public IReadOnlyList<string> Placeholders { get; }

    /// <summary>
    /// Parses a template. Placeholders are <c>{{expression}}</c> (spaces inside the braces are
    /// ignored) where the expression is <c>actor.name|email|id|role|type</c>,
    /// <c>target.name|id|type|url</c> (the first target), <c>targets[n].…</c> (0-based),
    /// <c>context.ip|user_agent|source|brand|session_id|request_id|location.country|location.city</c>,
    /// <c>metadata.a.b</c>, <c>changes.before.x</c>, <c>changes.after.x</c> (JSON paths, with
    /// optional <c>[n]</c> array indexes), or one of <c>action</c>, <c>category</c>, <c>type</c>,
    /// <c>outcome</c>, <c>reason</c>, <c>tenant</c>.
    /// </summary>
    /// <exception cref="TemplateException">
    /// The template is empty or longer than <see cref="MaxTemplateLength"/>, has an unclosed
    /// <c>{{</c>, a stray <c>}}</c>, an empty placeholder, or one that names nothing an event has;
    /// the exception gives the position and the placeholder.
    /// </exception>
    public static CompiledTemplate Compile(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (string.IsNullOrWhiteSpace(template))
        {
            throw new TemplateException("a template must not be empty", 0, null);
        }

        if (template.Length > MaxTemplateLength)
        {
            throw new TemplateException($"a template may be at most {MaxTemplateLength} characters; this one is {template.Length}", MaxTemplateLength, null);
        }

        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        var position = 0;
        while (position < template.Length)
        {
            var open = template.IndexOf("{{", position, StringComparison.Ordinal);
            var stray = template.IndexOf("}}", position, StringComparison.Ordinal);
            if (stray >= 0 && (open < 0 || stray < open))
            {
                throw new TemplateException($"'}}}}' at position {stray} closes no placeholder", stray, null);
            }

            if (open < 0)
            {
                literal.Append(template, position, template.Length - position);
                break;
            }

            literal.Append(template, position, open - position);
            var close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            var nested = template.IndexOf("{{", open + 2, StringComparison.Ordinal);
            if (close < 0 || (nested >= 0 && nested < close))
            {
                throw new TemplateException($"'{{{{' at position {open} is not closed with '}}}}'", open, null);
            }

            var expression = template[(open + 2)..close].Trim();
            if (expression.Length == 0)
            {
                throw new TemplateException($"empty placeholder '{{{{}}}}' at position {open}", open, "");
            }

            var placeholder = TemplatePlaceholder.Parse(expression, open);
            if (literal.Length > 0)
            {
                parts.Add(new TemplatePart(literal.ToString(), null));
                literal.Clear();
            }

            parts.Add(new TemplatePart(null, placeholder));
            position = close + 2;
        }

        if (literal.Length > 0)
        {
            parts.Add(new TemplatePart(literal.ToString(), null));
        }

        return new CompiledTemplate(template, [.. parts]);
    }

    /// <summary>Renders the template for an event as plain text, at most <see cref="MaxRenderedLength"/> characters.</summary>
    public string Render(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var builder = new StringBuilder(literalLength + (parts.Length * 16));
        foreach (var part in parts)
        {
            builder.Append(part.Literal ?? part.Placeholder!.Read(e) ?? MissingValue);
            if (builder.Length > MaxRenderedLength)
            {
                break;
            }
        }

        return builder.Length <= MaxRenderedLength ? builder.ToString() : Truncate(builder.ToString(), MaxRenderedLength);
    }

    /// <summary>
    /// Renders the template for an event as segments, for callers that present it as markup: literal
    /// text, and one segment per placeholder whose <see cref="TemplateSegment.LinkUrl"/> is the URL of
    /// the target it read from, when that target has one and the value is not missing. Concatenating the
    /// segments' text gives <see cref="Render"/>. Nothing is escaped; that is the presenter's job.
    /// </summary>
    public IReadOnlyList<TemplateSegment> RenderSegments(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var segments = new List<TemplateSegment>(parts.Length);
        var length = 0;
        foreach (var part in parts)
        {
            if (part.Literal is not null)
            {
                segments.Add(new TemplateSegment(part.Literal));
                length += part.Literal.Length;
                continue;
            }

            var value = part.Placeholder!.Read(e);
            segments.Add(value is null
                ? new TemplateSegment(MissingValue, null, part.Placeholder.Expression)
                : new TemplateSegment(value, part.Placeholder.LinkFor(e), part.Placeholder.Expression));
            length += segments[^1].Text.Length;
        }

        return length <= MaxRenderedLength ? segments : TruncateSegments(segments);
    }

    /// <summary>The placeholders (as in <see cref="Placeholders"/>) that have no value in the event and so render as <see cref="MissingValue"/>.</summary>
    public IReadOnlyList<string> MissingPlaceholders(AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return parts
            .Where(p => p.Placeholder is not null && p.Placeholder.Read(e) is null)
            .Select(p => p.Placeholder!.Expression)
            .Distinct()
            .ToArray();
    }

    /// <inheritdoc/>
    public override string ToString() => Source;

    // Cuts where Truncate cuts the rendered text, so the segments still concatenate to Render's result.
    private static List<TemplateSegment> TruncateSegments(List<TemplateSegment> segments)
    {
        var kept = new List<TemplateSegment>();
        var remaining = MaxRenderedLength - 1;
        foreach (var segment in segments)
        {
            if (segment.Text.Length >= remaining)
            {
                var cut = remaining;
                if (cut > 0 && char.IsHighSurrogate(segment.Text[cut - 1]))
                {
                    cut--;
                }

                kept.Add(segment with { Text = string.Concat(segment.Text.AsSpan(0, cut), "…") });
                break;
            }

            kept.Add(segment);
            remaining -= segment.Text.Length;
        }

        return kept;
    }

    private static string Truncate(string text, int maxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }

        var keep = Math.Max(0, maxLength - 1);
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1]))
        {
            keep--;
        }

        return string.Concat(text.AsSpan(0, keep), "…");
    }
}
