namespace Witness.Export;

/// <summary>The first and last day an export covers, in the tenant's time zone (both inclusive).</summary>
public sealed record ExportPeriod(DateOnly From, DateOnly To);
