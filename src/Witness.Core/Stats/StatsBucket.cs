namespace Witness.Stats;

/// <summary>The width of one bar of the activity histogram, in the tenant's time zone.</summary>
public enum StatsBucket
{
    Minute,
    Hour,
    Day,
    /// <summary>Weeks start on Monday.</summary>
    Week,
    Month,
}
