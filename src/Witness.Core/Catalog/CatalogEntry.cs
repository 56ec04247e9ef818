namespace Witness.Catalog;

/// <summary>A catalog entry with its template compiled once, when the entry was set.</summary>
internal sealed record CatalogEntry(ActionDefinition Definition, CompiledTemplate Template);
