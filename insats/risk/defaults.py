"""The default risk instrument: the SAVRY structure with item titles only (no manual text).

From ../shared/reference/savry.md. The manual is copyrighted and needs training; units enter
Swedish titles themselves or add their own instrument.
"""

SAVRY_NAME = "SAVRY (struktur)"
SAVRY_DESCRIPTION = (
    "Structured Assessment of Violence Risk in Youth (Borum, Bartel & Forth). Endast "
    "strukturen och faktorernas rubriker; bedömningen kräver utbildning och manualen."
)
SAVRY_AGE = (12, 18)
RISK_LEVELS = "Låg\nMåttlig\nHög"
PROTECTIVE_LEVELS = "Finns\nSaknas"

# (code, domain, title, protective)
SAVRY_ITEMS = [
    ("H1", "Historical", "History of violence", False),
    ("H2", "Historical", "History of non-violent offending", False),
    ("H3", "Historical", "Early initiation of violence", False),
    ("H4", "Historical", "Past supervision/intervention failures", False),
    ("H5", "Historical", "History of self-harm or suicide attempts", False),
    ("H6", "Historical", "Exposure to violence in the home", False),
    ("H7", "Historical", "Childhood history of maltreatment", False),
    ("H8", "Historical", "Parental/caregiver criminality", False),
    ("H9", "Historical", "Early caregiver disruption", False),
    ("H10", "Historical", "Poor school achievement", False),
    ("K1", "Social/contextual", "Peer delinquency", False),
    ("K2", "Social/contextual", "Peer rejection", False),
    ("K3", "Social/contextual", "Stress and poor coping", False),
    ("K4", "Social/contextual", "Poor parental management", False),
    ("K5", "Social/contextual", "Lack of personal/social support", False),
    ("K6", "Social/contextual", "Community disorganisation", False),
    ("I1", "Individual/clinical", "Negative attitudes", False),
    ("I2", "Individual/clinical", "Risk taking/impulsivity", False),
    ("I3", "Individual/clinical", "Substance-use difficulties", False),
    ("I4", "Individual/clinical", "Anger-management problems", False),
    ("I5", "Individual/clinical", "Low empathy/remorse", False),
    ("I6", "Individual/clinical", "Attention-deficit/hyperactivity difficulties", False),
    ("I7", "Individual/clinical", "Poor compliance", False),
    ("I8", "Individual/clinical", "Low interest/commitment to school", False),
    ("P1", "Protective", "Prosocial involvement", True),
    ("P2", "Protective", "Strong social support", True),
    ("P3", "Protective", "Strong attachments and bonds", True),
    ("P4", "Protective", "Positive attitude towards intervention and authority", True),
    ("P5", "Protective", "Strong commitment to school", True),
    ("P6", "Protective", "Resilient personality traits", True),
]
