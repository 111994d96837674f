"""The simulated plant's fixed master data: site, equipment hierarchy, materials, BOMs, partners."""

from __future__ import annotations

from dataclasses import dataclass

SITE = "PLANT-1000"
ENTERPRISE = "ACME"
SOURCES = {
    "erp": "erp/s4-plant-1000",
    "mes": "mes/line-1",
    "crm": "crm/main",
    "qms": "qms/main",
}


@dataclass(frozen=True)
class Machine:
    equipment_id: str
    name: str
    work_center: str


@dataclass(frozen=True)
class Routing:
    """One operation of a finished good's routing: where it runs and its planned time per unit."""

    sequence: int
    work_center: str
    description: str
    seconds_per_unit: float


@dataclass(frozen=True)
class FinishedGood:
    material: str
    name: str
    components: tuple[tuple[str, float], ...]  # raw material, quantity per unit
    routing: tuple[Routing, ...]
    price: float


AREAS = {"AREA-FAB": "Fabrication", "AREA-ASM": "Assembly"}
WORK_CENTERS = {
    "WC-MACH": ("Machining", "AREA-FAB"),
    "WC-ASSY": ("Assembly line 1", "AREA-ASM"),
    "WC-TEST": ("End-of-line test", "AREA-ASM"),
}
MACHINES = (
    Machine("WU-CNC-01", "CNC mill 1", "WC-MACH"),
    Machine("WU-CNC-02", "CNC mill 2", "WC-MACH"),
    Machine("WU-ASM-01", "Assembly cell 1", "WC-ASSY"),
    Machine("WU-TST-01", "Leak tester", "WC-TEST"),
)
RAW_MATERIALS = {
    "RM-STEEL-42": ("Steel bar 42CrMo4", "KG", "SUP-100"),
    "RM-SEAL-NBR": ("NBR seal ring", "PCE", "SUP-200"),
    "RM-MOTOR-1K": ("Electric motor 1 kW", "PCE", "SUP-300"),
    "RM-SCREW-M6": ("Screw M6x20", "PCE", "SUP-200"),
}
SUPPLIERS = {
    "SUP-100": "Stahlwerk Nord GmbH",
    "SUP-200": "Dichtungstechnik Süd AG",
    "SUP-300": "MotorWorks Ltd",
}
FINISHED_GOODS = (
    FinishedGood(
        "FG-PUMP-A",
        "Centrifugal pump A",
        (("RM-STEEL-42", 2.5), ("RM-SEAL-NBR", 2), ("RM-MOTOR-1K", 1), ("RM-SCREW-M6", 8)),
        (
            Routing(10, "WC-MACH", "Machine housing", 90.0),
            Routing(20, "WC-ASSY", "Assemble pump", 120.0),
            Routing(30, "WC-TEST", "Leak test", 45.0),
        ),
        420.0,
    ),
    FinishedGood(
        "FG-PUMP-B",
        "Centrifugal pump B (high pressure)",
        (("RM-STEEL-42", 3.2), ("RM-SEAL-NBR", 4), ("RM-MOTOR-1K", 1), ("RM-SCREW-M6", 12)),
        (
            Routing(10, "WC-MACH", "Machine housing", 120.0),
            Routing(20, "WC-ASSY", "Assemble pump", 150.0),
            Routing(30, "WC-TEST", "Leak test", 60.0),
        ),
        610.0,
    ),
)
CUSTOMERS = (
    ("C-1001", "Stadtwerke Rheinland", "DE"),
    ("C-1002", "AquaTech Solutions BV", "NL"),
    ("C-1003", "Brauerei Bergquell", "DE"),
    ("C-1004", "Nordic Water Oy", "FI"),
    ("C-1005", "Agro Irrigation SRL", "IT"),
    ("C-1006", "Chemiepark Süd", "DE"),
)
FIRST_NAMES = ("Anna", "Jonas", "Mia", "Lukas", "Sofia", "Elias", "Lea", "Noah")
LAST_NAMES = ("Schmidt", "de Vries", "Rossi", "Virtanen", "Becker", "Jansen", "Weber", "Moretti")
CHARACTERISTICS = {
    "CHR-LEAK": ("Leak rate", 0.0, 0.5, "mbar*l/s"),
    "CHR-FLOW": ("Flow rate at 3 bar", 95.0, 105.0, "l/min"),
    "CHR-DIAM": ("Bore diameter", 41.98, 42.02, "mm"),
}
SHIFTS = (("A", 6, 8), ("B", 14, 8))  # name, start hour (UTC), hours
