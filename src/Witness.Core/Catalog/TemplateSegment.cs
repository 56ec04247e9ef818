namespace Witness.Catalog;

/// <summary>
/// One piece of a rendered template, for callers that present it as markup: the console escapes
/// <see cref="Text"/> and, when <see cref="LinkUrl"/> is set, wraps it in a link.
/// </summary>
/// <param name="Text">The literal text, or the placeholder's value (<see cref="CompiledTemplate.MissingValue"/> when it has none). Never escaped.</param>
/// <param name="LinkUrl">The URL of the target the placeholder resolved into, when that target has one; null for literal text and other values.</param>
/// <param name="Placeholder">The placeholder expression this value came from, without braces; null for literal text.</param>
public sealed record TemplateSegment(string Text, string? LinkUrl = null, string? Placeholder = null);
