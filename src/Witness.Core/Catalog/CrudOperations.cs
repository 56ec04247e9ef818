namespace Witness.Catalog;

/// <summary>What an action does to its target, as the console's "action type" filter shows it.</summary>
public static class CrudOperations
{
    public const string Create = "create";
    public const string Read = "read";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string Other = "other";

    public static IReadOnlyList<string> All { get; } = [Create, Read, Update, Delete, Other];
}
