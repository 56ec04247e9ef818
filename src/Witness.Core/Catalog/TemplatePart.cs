namespace Witness.Catalog;

/// <summary>One compiled piece of a template: literal text, or a placeholder to resolve per event.</summary>
internal readonly record struct TemplatePart(string? Literal, TemplatePlaceholder? Placeholder);
