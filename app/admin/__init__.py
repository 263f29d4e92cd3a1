"""Administration: one entry in the main navigation, a landing page listing the sections
(users, clients, audit trail, security settings, …) that features register."""
